/**
 * SQL of one regional site (its CLIENT, STOCK, COMMANDE, LIGNE_COMMANDE, PAIEMENT and
 * MOUVEMENT_STOCK fragments). Plain functions taking the kysely database or a transaction first,
 * so the coordinator's participant can run them on its prepared-transaction connection. Lookups
 * by key take a whole batch and send one statement (`= ANY($1)`) whatever its size. Rows come
 * back as domain objects (lib/domain/mapping.ts); `site` is the site whose database `db` is.
 */
import type { Kysely, Transaction } from 'kysely';
import type { MouvementMotif, SiteDatabase } from '../../lib/db/tables.ts';
import {
  clientFromRow,
  orderFromRow,
  orderLineFromRow,
  paymentFromRow,
  stockLevelFromRow,
} from '../../lib/domain/mapping.ts';
import type { Client, Order, OrderLine, Payment, StockLevel } from '../../lib/domain/model.ts';
import { TerangaError } from '../../lib/errors.ts';
import type { SiteId } from '../../lib/sites.ts';

type SiteDb = Kysely<SiteDatabase>;

const CLIENT_COLUMNS = ['id', 'nom', 'ville', 'email'] as const;
const ORDER_COLUMNS = ['id', 'client_id', 'statut', 'total', 'idempotency_key', 'gid', 'created_at'] as const;

// --- clients

export async function findClientsByIds(db: SiteDb, site: SiteId, ids: readonly number[]): Promise<Client[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('client')
    .select(CLIENT_COLUMNS)
    .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .execute();
  return rows.map((row) => clientFromRow(row, site));
}

/** The site's clients ordered by id, all of them or those of one city (its canonical spelling). */
export async function listClients(db: SiteDb, site: SiteId, filter: { readonly city?: string } = {}): Promise<Client[]> {
  let query = db.selectFrom('client').select(CLIENT_COLUMNS).orderBy('id');
  if (filter.city !== undefined) query = query.where('ville', '=', filter.city);
  return (await query.execute()).map((row) => clientFromRow(row, site));
}

// --- stock

/** This warehouse's stock of the products among `productIds` that it holds a row for. */
export async function findStockByProductIds(db: SiteDb, site: SiteId, productIds: readonly number[]): Promise<StockLevel[]> {
  if (productIds.length === 0) return [];
  const rows = await db
    .selectFrom('stock')
    .select(['produit_id', 'quantite'])
    .where('produit_id', '=', (eb) => eb.fn.any(eb.val(productIds)))
    .execute();
  return rows.map((row) => stockLevelFromRow(row, site));
}

/**
 * Adds `delta` (positive or negative) to this warehouse's stock of a product; null when the
 * warehouse has no row for it. The CHECK (quantite >= 0) rejects a decrement below zero.
 */
export async function addToStock(db: SiteDb, site: SiteId, productId: number, delta: number): Promise<StockLevel | null> {
  try {
    const row = await db
      .updateTable('stock')
      .set((eb) => ({ quantite: eb('quantite', '+', delta) }))
      .where('produit_id', '=', productId)
      .returning(['produit_id', 'quantite'])
      .executeTakeFirst();
    return row ? stockLevelFromRow(row, site) : null;
  } catch (error) {
    if ((error as { code?: string }).code === '22003') {
      throw new TerangaError('BAD_USER_INPUT', `The stock of product ${productId} would exceed the largest storable quantity`, {
        productId: String(productId),
      });
    }
    throw error;
  }
}

/** Writes one line of the warehouse's ledger. */
export async function recordStockMovement(
  db: SiteDb,
  movement: { readonly productId: number; readonly delta: number; readonly reason: MouvementMotif; readonly orderId?: string | null },
): Promise<void> {
  await db
    .insertInto('mouvement_stock')
    .values({ produit_id: movement.productId, delta: movement.delta, motif: movement.reason, commande_id: movement.orderId ?? null })
    .execute();
}

/**
 * Restocking: the stock change and its ledger line in one local transaction. Null (nothing
 * written) when the warehouse holds no row for the product.
 */
export async function restock(db: SiteDb, site: SiteId, productId: number, quantity: number): Promise<StockLevel | null> {
  const inTransaction = async (trx: Transaction<SiteDatabase>) => {
    const level = await addToStock(trx, site, productId, quantity);
    if (level) await recordStockMovement(trx, { productId, delta: quantity, reason: 'REAPPROVISIONNEMENT' });
    return level;
  };
  return db.isTransaction ? inTransaction(db as Transaction<SiteDatabase>) : db.transaction().execute(inTransaction);
}

// --- orders

export async function findOrdersByIds(db: SiteDb, site: SiteId, ids: readonly string[]): Promise<Order[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('commande')
    .select(ORDER_COLUMNS)
    .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .execute();
  return rows.map((row) => orderFromRow(row, site));
}

/** The orders of the given clients, each client's newest first. */
export async function findOrdersByClientIds(db: SiteDb, site: SiteId, clientIds: readonly number[]): Promise<Order[]> {
  if (clientIds.length === 0) return [];
  const rows = await db
    .selectFrom('commande')
    .select(ORDER_COLUMNS)
    .where('client_id', '=', (eb) => eb.fn.any(eb.val(clientIds)))
    // id breaks ties between orders of the same instant, so the order is stable
    .orderBy('client_id')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => orderFromRow(row, site));
}

/** The lines of the given orders, in a stable order (product, then warehouse). */
export async function findLinesByOrderIds(db: SiteDb, orderIds: readonly string[]): Promise<OrderLine[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .selectFrom('ligne_commande')
    .select(['commande_id', 'produit_id', 'site', 'quantite', 'prix_unitaire'])
    .where('commande_id', '=', (eb) => eb.fn.any(eb.val(orderIds)))
    .orderBy('commande_id')
    .orderBy('produit_id')
    .orderBy('site')
    .execute();
  return rows.map(orderLineFromRow);
}

export async function findPaymentsByOrderIds(db: SiteDb, orderIds: readonly string[]): Promise<Payment[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .selectFrom('paiement')
    .select(['commande_id', 'montant', 'methode', 'statut', 'reference', 'updated_at'])
    .where('commande_id', '=', (eb) => eb.fn.any(eb.val(orderIds)))
    .execute();
  return rows.map(paymentFromRow);
}
