/**
 * The simulator's workload: concurrent orders on a few hot products, drawn from a seeded generator
 * so a run can be replayed, and where each hot product is stocked.
 */
import { SITE_IDS, type SiteId } from '../lib/sites.ts';

export interface SimulatedOrder {
  readonly index: number;
  readonly clientId: number;
  readonly clientSite: SiteId;
  readonly lines: readonly { readonly productId: number; readonly quantity: number }[];
}

export interface WorkloadOptions {
  readonly orders: number;
  readonly hotProducts: readonly number[];
  readonly clients: readonly { readonly id: number; readonly site: SiteId }[];
  /** Lines per order: 1 to this many distinct hot products. */
  readonly maxLines: number;
  /** Units per line: 1 to this many. */
  readonly maxQuantity: number;
  readonly seed: number;
}

/** mulberry32: a small, fast generator with a 32-bit state; enough to pick orders reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateWorkload(options: WorkloadOptions): SimulatedOrder[] {
  if (options.clients.length === 0) throw new Error('the workload needs at least one client');
  if (options.hotProducts.length === 0) throw new Error('the workload needs at least one hot product');
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const orders: SimulatedOrder[] = [];
  for (let index = 0; index < options.orders; index++) {
    const client = options.clients[pick(options.clients.length)]!;
    const count = 1 + pick(Math.min(options.maxLines, options.hotProducts.length));
    const products = [...options.hotProducts];
    const lines: { productId: number; quantity: number }[] = [];
    for (let i = 0; i < count; i++) {
      const [productId] = products.splice(pick(products.length), 1);
      lines.push({ productId: productId!, quantity: 1 + pick(options.maxQuantity) });
    }
    orders.push({ index, clientId: client.id, clientSite: client.site, lines });
  }
  return orders;
}

/**
 * Each hot product is stocked at one warehouse only, its home (the products in turn at Dakar,
 * Thiès, Saint-Louis): an order for a client elsewhere, or for products of two homes, is then a
 * multi-site transaction, and clients of different sites take locks at two sites in opposite
 * orders — the case distributed deadlocks come from.
 */
export function homeWarehouse(hotIndex: number): SiteId {
  return SITE_IDS[hotIndex % SITE_IDS.length]!;
}

/** Units the orders ask for on average, per hot product. */
export function expectedDemandPerProduct(options: Omit<WorkloadOptions, 'clients' | 'seed' | 'hotProducts'> & { hotProducts: number }): number {
  const lines = (1 + Math.min(options.maxLines, options.hotProducts)) / 2;
  const units = (1 + options.maxQuantity) / 2;
  return (options.orders * lines * units) / options.hotProducts;
}
