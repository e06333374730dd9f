/**
 * Which warehouse serves which part of each line: the client's own site first, then the nearest
 * warehouses that still have stock; a line may be split. Pure: the stock it sees is a snapshot,
 * re-checked under row locks by each participant.
 */
import type { SiteId } from '../../lib/sites.ts';

export interface Demand {
  productId: number;
  quantity: number;
}

export interface Allocation {
  productId: number;
  site: SiteId;
  quantity: number;
}

export type AllocationResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; productId: number; requested: number; available: number };

/**
 * @param warehouses the sites in the order they should serve this client (own site first)
 * @param stock quantity per product per site; a missing site is treated as holding nothing
 */
export function allocate(
  demands: readonly Demand[],
  warehouses: readonly SiteId[],
  stock: ReadonlyMap<number, ReadonlyMap<SiteId, number>>,
): AllocationResult {
  const allocations: Allocation[] = [];
  for (const demand of demands) {
    let remaining = demand.quantity;
    const atSites = stock.get(demand.productId);
    for (const site of warehouses) {
      if (remaining === 0) break;
      const take = Math.min(remaining, atSites?.get(site) ?? 0);
      if (take > 0) {
        allocations.push({ productId: demand.productId, site, quantity: take });
        remaining -= take;
      }
    }
    if (remaining > 0) {
      const available = warehouses.reduce((sum, site) => sum + (atSites?.get(site) ?? 0), 0);
      return { ok: false, productId: demand.productId, requested: demand.quantity, available };
    }
  }
  return { ok: true, allocations };
}
