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
import { exportClient, exportHash } from './export.ts';

export interface Refusal {
  code: 'OUT_OF_STOCK' | 'UNKNOWN_PRODUCT' | 'UNKNOWN_CLIENT' | 'DUPLICATE' | 'DUPLICATE_EMAIL' | 'NOT_FOUND' | 'CONFLICT' | 'ABORTED' | 'DEADLINE_EXCEEDED';
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
  // The intent's row fences this decision against the order's final failure (intents.ts).
  const confirmed = await db
    .updateTable('intention_commande')
    .set({ statut: 'CONFIRMED', updated_at: new Date() })
    .where('commande_id', '=', order.id)
    .where('statut', '=', 'PENDING')
    .executeTakeFirst();
  if (Number(confirmed.numUpdatedRows) === 0) {
    const intent = await db.selectFrom('intention_commande').select('statut').where('commande_id', '=', order.id).executeTakeFirst();
    if (intent?.statut === 'CONFIRMED') return { code: 'DUPLICATE', message: 'This order is already confirmed', existingOrderId: order.id };
    return { code: 'ABORTED', message: intent ? 'The order was given up (its intent is FAILED)' : 'No intent was recorded for this order' };
  }
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
  // Authorized, not captured: the outbox row below makes the site's relay capture it, and only
  // the provider's acknowledgement turns the status to CAPTURE.
  await db
    .insertInto('paiement')
    .values({ commande_id: order.id, montant: order.payment.amount, methode: order.payment.method, statut: 'AUTORISE', reference: order.payment.reference })
    .execute();
  await db
    .insertInto('sortie_paiement')
    .values({ commande_id: order.id, reference: order.payment.reference, operation: 'CAPTURE', montant: order.payment.amount, statut: 'PENDING', derniere_erreur: null, done_at: null })
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
  // Refunded by the relay once the provider acknowledges; after the capture, which comes first in the outbox.
  const payment = await db.selectFrom('paiement').select(['reference', 'montant']).where('commande_id', '=', orderId).executeTakeFirst();
  if (payment) {
    await db
      .insertInto('sortie_paiement')
      .values({ commande_id: orderId, reference: payment.reference, operation: 'REFUND', montant: Number(payment.montant), statut: 'PENDING', derniere_erreur: null, done_at: null })
      .execute();
  }
  return null;
}

async function insertClient(db: Kysely<SiteDatabase>, data: NonNullable<ParticipantWork['insertClient']>): Promise<Refusal | null> {
  await db.insertInto('client').values(data.client).execute();
  for (const { commande, lignes, paiement } of data.orders) {
    await db.insertInto('commande').values(commande).execute();
    if (lignes.length > 0) await db.insertInto('ligne_commande').values(lignes).execute();
    if (paiement) await db.insertInto('paiement').values(paiement).execute();
  }
  if (data.intentions?.length) await db.insertInto('intention_commande').values(data.intentions).execute();
  if (data.sorties?.length) {
    await db.insertInto('sortie_paiement').values(data.sorties.map((s) => ({ ...s, statut: 'PENDING' as const, derniere_erreur: null, done_at: null }))).execute();
  }
  return null;
}

async function deleteClient(db: Kysely<SiteDatabase>, clientId: number, expectedExport: string | undefined): Promise<Refusal | null> {
  if (expectedExport !== undefined) {
    // under the client's row lock no order of theirs can commit here (its foreign key needs a share lock)
    const locked = await db.selectFrom('client').select('id').where('id', '=', clientId).forUpdate().executeTakeFirst();
    if (!locked) return { code: 'UNKNOWN_CLIENT', message: `Client ${clientId} is not held by this site` };
    const now = await exportClient(db, clientId);
    if (now === null || exportHash(now) !== expectedExport) {
      return { code: 'CONFLICT', message: `The data of client ${clientId} changed during the move; retry` };
    }
  }
  // lines and payments go with their orders (ON DELETE CASCADE)
  await db.deleteFrom('sortie_paiement').where('commande_id', 'in', db.selectFrom('commande').select('id').where('client_id', '=', clientId)).where('statut', '=', 'PENDING').execute();
  await db.deleteFrom('intention_commande').where('client_id', '=', clientId).execute();
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
    (work.deleteClient !== undefined ? await deleteClient(db, work.deleteClient, work.expectedExport) : null) ??
    (work.insertClient ? await insertClient(db, work.insertClient) : null)
  );
}
