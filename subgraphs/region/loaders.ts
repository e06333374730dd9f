/**
 * Per-request DataLoaders of a regional subgraph. Every entity or list the request touches is
 * loaded through them, so a request sends one statement per kind of data it reads, however many
 * items it reads: `_entities` with fifty StockLevels, or fifty clients with their orders.
 */
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { SiteDatabase } from '../../lib/db/tables.ts';
import type { Client, Order, OrderLine, Payment, StockLevel } from '../../lib/domain/model.ts';
import type { SiteId } from '../../lib/sites.ts';
import type { StockCopies, WarehouseLevel } from './local-copies.ts';
import {
  findClientsByIds,
  findLinesByOrderIds,
  findOrdersByClientIds,
  findOrdersByIds,
  findPaymentsByOrderIds,
  findStockByProductIds,
} from './repository.ts';

export interface RegionLoaders {
  /** A client of this site by id; null when the client belongs to another site or does not exist. */
  readonly client: DataLoader<number, Client | null>;
  /** This warehouse's stock of a product; null when it holds no row for the product. */
  readonly stock: DataLoader<number, StockLevel | null>;
  /** An order of this site by (canonical) uuid. */
  readonly order: DataLoader<string, Order | null>;
  /** A client's orders, newest first. */
  readonly ordersOfClient: DataLoader<number, Order[]>;
  readonly linesOfOrder: DataLoader<string, OrderLine[]>;
  readonly paymentOfOrder: DataLoader<string, Payment | null>;
  /**
   * Every warehouse's stock of a product, in site order: this one's live (as `stock` reads it),
   * the others' from the local copies, refused when a copy is older than the bound.
   */
  readonly warehouses: DataLoader<number, WarehouseLevel[]>;
}

export interface CopyReading {
  readonly stockCopies?: StockCopies;
  /** How old a copy may be (lib/stock-scope.ts). */
  readonly maxAgeMs: number;
}

/** One value per key, in the keys' order (what DataLoader requires of a batch). */
function byKey<K, V>(keys: readonly K[], items: readonly V[], keyOf: (item: V) => K): (V | null)[] {
  const found = new Map(items.map((item) => [keyOf(item), item]));
  return keys.map((key) => found.get(key) ?? null);
}

/** All values per key, in the keys' order, keeping the order the items came in. */
function groupByKey<K, V>(keys: readonly K[], items: readonly V[], keyOf: (item: V) => K): V[][] {
  const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const item of items) groups.get(keyOf(item))?.push(item);
  return keys.map((key) => groups.get(key) ?? []);
}

/**
 * @param stockDb serves the stock shown to clients and the coordinator's allocation snapshot,
 *   where some lag is acceptable (participants re-check under row locks): a standby may answer
 *   (lib/db/replica-pool.ts). Everything else reads `db`, the primary.
 */
export function createRegionLoaders(db: Kysely<SiteDatabase>, site: SiteId, stockDb: Kysely<SiteDatabase> = db, copies?: CopyReading): RegionLoaders {
  return {
    client: new DataLoader(async (ids) => byKey(ids, await findClientsByIds(db, site, ids), (c) => c.id)),
    stock: new DataLoader(async (ids) => byKey(ids, await findStockByProductIds(stockDb, site, ids), (s) => s.productId)),
    order: new DataLoader(async (ids) => byKey(ids, await findOrdersByIds(db, site, ids), (o) => o.id)),
    ordersOfClient: new DataLoader(async (ids) => groupByKey(ids, await findOrdersByClientIds(db, site, ids), (o) => o.clientId)),
    linesOfOrder: new DataLoader(async (ids) => groupByKey(ids, await findLinesByOrderIds(db, ids), (l) => l.orderId)),
    paymentOfOrder: new DataLoader(async (ids) => byKey(ids, await findPaymentsByOrderIds(db, ids), (p) => p.orderId)),
    warehouses: new DataLoader(async (ids) => {
      if (!copies?.stockCopies) throw new Error('This site keeps no stock copies');
      const levels = await copies.stockCopies.everyWarehouse((of) => findStockByProductIds(stockDb, site, of), ids, copies.maxAgeMs);
      return ids.map((id) => levels.get(id)!);
    }),
  };
}
