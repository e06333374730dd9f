/**
 * How often an order needs more than one warehouse, for a given split of the initial stock.
 * The workload follows the client distribution: each order is placed by a seed client drawn
 * uniformly (so each site's share of orders is its share of clients), for 1 to 3 distinct products
 * in stock, one unit each. Each order is allocated exactly as the orders subgraph allocates it
 * (subgraphs/orders/allocation.ts: own site first, then the nearest warehouses), and the stock it
 * takes is gone for the next order. Deterministic (seeded), so the figures compare splits, not luck.
 */
import { placement, warehouseOrderFrom } from '../lib/placement.ts';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { SEED_PRODUCTS } from '../seed/products.ts';
import { allocate } from '../subgraphs/orders/allocation.ts';

export type StockSplit = (total: number, productId: number) => Record<SiteId, number>;

export interface PlacementFigures {
  /** Orders allocated (refused ones, for want of stock anywhere, are not counted). */
  readonly orders: number;
  /** Orders served by more than one warehouse (a 2PC across sites). */
  readonly multiSite: number;
  /** Orders served, in part or in full, by a warehouse other than the client's own. */
  readonly awayFromHome: number;
}

/** mulberry32: a small seeded generator, enough for a reproducible workload. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Replays `orders` orders against the seed stock split by `split`, stopping early once
 * `consumedShare` of the total stock is gone (past that, every split runs dry and crosses sites).
 */
export function measurePlacement(split: StockSplit, options: { orders: number; seed?: number; consumedShare?: number }): PlacementFigures {
  const rand = random(options.seed ?? 1);
  const stock = new Map<number, Map<SiteId, number>>();
  let total = 0;
  for (const p of SEED_PRODUCTS) {
    const parts = split(p.stock, p.id);
    stock.set(p.id, new Map(SITE_IDS.map((s) => [s, parts[s]])));
    total += p.stock;
  }
  const limit = total * (options.consumedShare ?? 0.5);
  let consumed = 0;
  let orders = 0;
  let multiSite = 0;
  let awayFromHome = 0;
  for (let n = 0; n < options.orders && consumed < limit; n++) {
    const client = SEED_CLIENTS[Math.floor(rand() * SEED_CLIENTS.length)]!;
    const site = placement(client.ville).site;
    const available = SEED_PRODUCTS.filter((p) => [...stock.get(p.id)!.values()].some((q) => q > 0));
    const count = 1 + Math.floor(rand() * 3);
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, available.length)) chosen.add(available[Math.floor(rand() * available.length)]!.id);
    const result = allocate([...chosen].map((productId) => ({ productId, quantity: 1 })), warehouseOrderFrom(site), stock);
    if (!result.ok) continue;
    orders++;
    const sites = new Set(result.allocations.map((a) => a.site));
    if (sites.size > 1) multiSite++;
    if ([...sites].some((s) => s !== site)) awayFromHome++;
    for (const a of result.allocations) {
      const atSites = stock.get(a.productId)!;
      atSites.set(a.site, atSites.get(a.site)! - a.quantity);
      consumed += a.quantity;
    }
  }
  return { orders, multiSite, awayFromHome };
}
