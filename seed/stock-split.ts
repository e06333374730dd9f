/**
 * How a product's total stock (the case study's single `Stock` column) is split across the three
 * warehouses when the `Produit` relation is fragmented vertically into PRODUIT_INFO and STOCK_site.
 *
 * Rule: stock is placed where demand is. Each warehouse receives the share of the product's stock
 * that its site has of the clients (a site serves the clients of its cities, lib/cities.ts):
 * stock_site = ⌊Stock × clients_site / clients⌋, and whatever rounding down leaves over goes to the
 * site serving the most clients. With the seed's 64 clients (Dakar 15, Thiès 36, Saint-Louis 13) a
 * client's order finds its articles at its own site as often as the split allows, so fewer orders
 * must cross sites. Integer arithmetic only: the parts always sum to the total.
 */
import { placement } from '../lib/placement.ts';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { SEED_CLIENTS } from './clients.ts';

/** How many of the seed's clients each site serves: the weights of the split. */
export const CLIENTS_SERVED: Readonly<Record<SiteId, number>> = Object.freeze(
  Object.fromEntries(SITE_IDS.map((site) => [site, SEED_CLIENTS.filter((c) => placement(c.ville).site === site).length])) as Record<SiteId, number>,
);

/** All the clients the weights count. */
export const CLIENTS_TOTAL: number = SITE_IDS.reduce((sum, site) => sum + CLIENTS_SERVED[site], 0);

/** The warehouse that receives what rounding down leaves over: the one serving the most clients (first in site order on a tie). */
export const STOCK_REMAINDER_SITE: SiteId = SITE_IDS.reduce((best, site) => (CLIENTS_SERVED[site] > CLIENTS_SERVED[best] ? site : best));

/**
 * Splits `total` units of product `productId` across the warehouses by {@link CLIENTS_SERVED}.
 * @example splitStock(20, 101) // { dakar: 4, thies: 12, 'saint-louis': 4 } with 15/36/13 clients
 * @throws RangeError when `total` is not a non-negative integer
 */
export function splitStock(total: number, productId: number): Record<SiteId, number> {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`Stock of product ${productId} must be a non-negative integer, got ${total}`);
  }
  const parts = {} as Record<SiteId, number>;
  let allotted = 0;
  for (const site of SITE_IDS) {
    parts[site] = Math.floor((total * CLIENTS_SERVED[site]) / CLIENTS_TOTAL);
    allotted += parts[site];
  }
  parts[STOCK_REMAINDER_SITE] += total - allotted;
  return parts;
}

/** The split of the previous seed (Dakar 50 %, Thiès 30 %, Saint-Louis 20 %, remainder at Dakar), kept for the before/after benchmark. */
export function splitStockFixed(total: number): Record<SiteId, number> {
  const parts: Record<SiteId, number> = { dakar: Math.floor(total * 0.5), thies: Math.floor((total * 30) / 100), 'saint-louis': Math.floor((total * 20) / 100) };
  parts.dakar += total - parts.dakar - parts.thies - parts['saint-louis'];
  return parts;
}
