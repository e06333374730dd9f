/**
 * How a product's total stock (the case study's single `Stock` column) is split across the three
 * warehouses when the `Produit` relation is fragmented vertically into PRODUIT_INFO and STOCK_site.
 *
 * Rule: Dakar 50 %, Thiès 30 %, Saint-Louis 20 %, each share rounded down, and whatever rounding
 * leaves over goes to Dakar. The shares follow expected demand: the Dakar region (Dakar, Pikine,
 * Guédiawaye, Rufisque, Keur Massar) is by far the largest market, Thiès serves the centre and the
 * south, Saint-Louis the north. The remainder goes to Dakar for the same reason, so a product with a
 * handful of units is stocked where it is most likely to sell. The parts always sum to the total.
 */
import { SITE_IDS, type SiteId } from '../lib/sites.ts';

/** Each warehouse's share of a product's total stock, in percent (they sum to 100). */
export const STOCK_SHARES: Readonly<Record<SiteId, number>> = Object.freeze({
  dakar: 50,
  thies: 30,
  'saint-louis': 20,
});

/** The warehouse that receives what rounding down leaves over. */
export const STOCK_REMAINDER_SITE: SiteId = 'dakar';

/**
 * Splits `total` units of product `productId` across the warehouses by {@link STOCK_SHARES}.
 * Integer arithmetic only, so the split is exact and deterministic.
 * @example splitStock(25, 106) // { dakar: 13, thies: 7, 'saint-louis': 5 }
 * @throws RangeError when `total` is not a non-negative integer
 */
export function splitStock(total: number, productId: number): Record<SiteId, number> {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`Stock of product ${productId} must be a non-negative integer, got ${total}`);
  }
  const parts = {} as Record<SiteId, number>;
  let allotted = 0;
  for (const site of SITE_IDS) {
    parts[site] = Math.floor((total * STOCK_SHARES[site]) / 100);
    allotted += parts[site];
  }
  parts[STOCK_REMAINDER_SITE] += total - allotted;
  return parts;
}
