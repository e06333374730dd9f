/**
 * Applies a participant's share of a global transaction inside an open local transaction:
 * stock changes under row locks, then the order, cancellation or client rows.
 * Returns a refusal instead of throwing for every expected failure, so the caller can roll back
 * and vote no with a reason.
 */
import { sql, type Kysely } from 'kysely';
import type { SiteDatabase } from '../../../lib/db/tables.ts';
import type { SiteId } from '../../../lib/sites.ts';
import type { LockMode, ParticipantWork } from '../../../lib/twopc/work.ts';

export interface Refusal {
  code: 'OUT_OF_STOCK' | 'UNKNOWN_PRODUCT' | 'UNKNOWN_CLIENT' | 'DUPLICATE' | 'NOT_FOUND' | 'CONFLICT' | 'ABORTED';
  message: string;
  productId?: number;
  available?: number;
  existingOrderId?: string;
}

export interface LockedStock {
  quantite: number;
  version: number;
}

/**
 * Stock rows are always locked in product-id order, so two transactions at one site never
 * deadlock; across sites the coordinator orders the sites (concurrency-control.ts). NOWAIT fails
 * with lock_not_available at once instead of queueing behind the holder.
 */
export async function lockStock(db: Kysely<SiteDatabase>, productIds: number[], mode: LockMode = 'WAIT') {
  if (productIds.length === 0) return new Map<number, LockedStock>();
  const query = db
    .selectFrom('stock')
    .select(['produit_id', 'quantite', 'version'])
    .where('produit_id', 'in', productIds)
    .orderBy('produit_id')
    .forUpdate();
  const rows = await (mode === 'NOWAIT' ? query.noWait() : query).execute();
  // Number(): bigint arrives as text unless the process installed lib/db/connect.ts's parser
  return new Map(rows.map((r): [number, LockedStock] => [r.produit_id, { quantite: r.quantite, version: Number(r.version) }]));
}

async function applyStock(db: Kysely<SiteDatabase>, work: ParticipantWork): Promise<Refusal | null> {
  // one change per product: a work item may name a product twice (a split line)
  const deltas = new Map<number, number>();
  const expected = new Map<number, number>();
  for (const change of work.stock) {
    deltas.set(change.productId, (deltas.get(change.productId) ?? 0) + change.delta);
    if (change.expectedVersion !== undefined) expected.set(change.productId, change.expectedVersion);
  }
  const ids = [...deltas.keys()].sort((a, b) => a - b);
  const current = await lockStock(db, ids, work.lockMode);
  for (const id of ids) {
    const row = current.get(id);
    if (row === undefined) return { code: 'UNKNOWN_PRODUCT', message: `Product ${id} is not stocked here`, productId: id };
    const seen = expected.get(id);
    // checked before the quantity: a stale snapshot may have allocated from the wrong warehouse
    if (seen !== undefined && row.version !== seen) {
      return { code: 'CONFLICT', message: `The stock of product ${id} changed since it was read (version ${seen}, now ${row.version}); retry`, productId: id };
    }
    if (row.quantite + deltas.get(id)! < 0) {
      return { code: 'OUT_OF_STOCK', message: `Only ${row.quantite} of product ${id} left at this warehouse`, productId: id, available: row.quantite };
    }
  }
  if (ids.length === 0) return null;
  const values = sql.join(ids.map((id) => sql`(${id}::integer, ${deltas.get(id)!}::integer)`));
  const { rows: written } = await sql<{ produit_id: number; quantite: number; version: number }>`
    UPDATE stock SET quantite = stock.quantite + c.delta
    FROM (VALUES ${values}) AS c(produit_id, delta)
    WHERE stock.produit_id = c.produit_id
    RETURNING stock.produit_id, stock.quantite, stock.version`.execute(db);
  const after = new Map(written.map((r) => [r.produit_id, { quantite: r.quantite, version: Number(r.version) }]));
  await db
    .insertInto('mouvement_stock')
    .values(
      ids
        .filter((id) => deltas.get(id) !== 0)
        .map((id) => ({
          produit_id: id,
          delta: deltas.get(id)!,
          motif: work.motif ?? 'COMMANDE',
          commande_id: work.orderId,
          quantite_avant: current.get(id)!.quantite,
          quantite_apres: after.get(id)!.quantite,
          version: after.get(id)!.version,
        })),
    )
    .execute();
  return null;
}

async function createOrder(db: Kysely<SiteDatabase>, order: NonNullable<ParticipantWork['createOrder']>, gid: string | null): Promise<Refusal | null> {
  const client = await db.selectFrom('client').select('id').where('id', '=', order.clientId).executeTakeFirst();
  if (!client) return { code: 'UNKNOWN_CLIENT', message: `Client ${order.clientId} is not held by this site` };
  // A concurrent call with the same key waits here on the unique index until the first commits.
  const inserted = await db
    .insertInto('commande')
    .values({
      id: order.id,
      client_id: order.clientId,
      statut: 'CONFIRMEE',
      total: order.total,
      idempotency_key: order.idempotencyKey,
      gid,
    })
    .onConflict((oc) => oc.columns(['client_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const existing = await db
      .selectFrom('commande')
      .select('id')
      .where('client_id', '=', order.clientId)
      .where('idempotency_key', '=', order.idempotencyKey)
      .executeTakeFirstOrThrow();
    return { code: 'DUPLICATE', message: 'An order with this idempotency key exists', existingOrderId: existing.id };
  }
  await db
    .insertInto('ligne_commande')
    .values(order.lines.map((l) => ({ commande_id: order.id, produit_id: l.productId, site: l.site, quantite: l.quantity, prix_unitaire: l.unitPrice })))
    .execute();
  // The decision to commit implies the capture: the provider is told once the commit is durable.
  await db
    .insertInto('paiement')
    .values({ commande_id: order.id, montant: order.payment.amount, methode: order.payment.method, statut: 'CAPTURE', reference: order.payment.reference })
    .execute();
  return null;
}

async function cancelOrder(db: Kysely<SiteDatabase>, orderId: string): Promise<Refusal | null> {
  const updated = await db
    .updateTable('commande')
    .set({ statut: 'ANNULEE' })
    .where('id', '=', orderId)
    .where('statut', '=', 'CONFIRMEE')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return { code: 'NOT_FOUND', message: `No confirmed order ${orderId} here` };
  await db.updateTable('paiement').set({ statut: 'REMBOURSE', updated_at: new Date() }).where('commande_id', '=', orderId).execute();
  return null;
}

async function insertClient(db: Kysely<SiteDatabase>, data: NonNullable<ParticipantWork['insertClient']>): Promise<Refusal | null> {
  await db.insertInto('client').values(data.client).execute();
  for (const { commande, lignes, paiement } of data.orders) {
    await db.insertInto('commande').values(commande).execute();
    if (lignes.length > 0) await db.insertInto('ligne_commande').values(lignes).execute();
    if (paiement) await db.insertInto('paiement').values(paiement).execute();
  }
  return null;
}

async function deleteClient(db: Kysely<SiteDatabase>, clientId: number): Promise<Refusal | null> {
  // lines and payments go with their orders (ON DELETE CASCADE)
  await db.deleteFrom('commande').where('client_id', '=', clientId).execute();
  const deleted = await db.deleteFrom('client').where('id', '=', clientId).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return { code: 'UNKNOWN_CLIENT', message: `Client ${clientId} is not held by this site` };
  return null;
}

export async function applyWork(db: Kysely<SiteDatabase>, _site: SiteId, work: ParticipantWork): Promise<Refusal | null> {
  return (
    (await applyStock(db, work)) ??
    (work.createOrder ? await createOrder(db, work.createOrder, work.gid) : null) ??
    (work.cancelOrder ? await cancelOrder(db, work.cancelOrder) : null) ??
    (work.deleteClient !== undefined ? await deleteClient(db, work.deleteClient) : null) ??
    (work.insertClient ? await insertClient(db, work.insertClient) : null)
  );
}
