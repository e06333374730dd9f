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

/**
 * The stock share in one statement (one round trip): lock the rows in product-id order, check each
 * against its expected version and its quantity, apply the changes that pass and write their ledger
 * lines. A refusal is read off the locked rows; the caller rolls the transaction back on any refusal,
 * so changes that passed before a refused one never commit. Under a concurrent commit, the UPDATE
 * re-reads each row at its newest version (the one FOR UPDATE waited for and locked), so the
 * quantity it checks and writes is the one held under the lock.
 */
async function applyStock(db: Kysely<SiteDatabase>, work: ParticipantWork): Promise<Refusal | null> {
  // one change per product: a work item may name a product twice (a split line)
  const deltas = new Map<number, number>();
  const expected = new Map<number, number>();
  const guessed = new Set<number>();
  for (const change of work.stock) {
    deltas.set(change.productId, (deltas.get(change.productId) ?? 0) + change.delta);
    if (change.expectedVersion !== undefined) expected.set(change.productId, change.expectedVersion);
    if (change.guessed) guessed.add(change.productId);
  }
  const ids = [...deltas.keys()].sort((a, b) => a - b);
  if (ids.length === 0) return null;
  const changes = sql.join(ids.map((id) => sql`(${id}::integer, ${deltas.get(id)!}::integer, ${expected.get(id) ?? null}::bigint)`));
  const lock = work.lockMode === 'NOWAIT' ? sql`FOR UPDATE NOWAIT` : sql`FOR UPDATE`;
  const { rows } = await sql<{ produit_id: number; quantite: number; version: number }>`
    WITH c(produit_id, delta, expected) AS (VALUES ${changes}),
    locked AS MATERIALIZED (
      SELECT s.produit_id, s.quantite, s.version FROM stock s
      WHERE s.produit_id IN (SELECT produit_id FROM c) ORDER BY s.produit_id ${lock}),
    written AS (
      UPDATE stock SET quantite = stock.quantite + c.delta
      FROM c JOIN locked l ON l.produit_id = c.produit_id
      WHERE stock.produit_id = c.produit_id AND stock.quantite + c.delta >= 0 AND (c.expected IS NULL OR stock.version = c.expected)
      RETURNING stock.produit_id, c.delta, l.quantite AS avant, stock.quantite AS apres, stock.version),
    ledger AS (
      INSERT INTO mouvement_stock (produit_id, delta, motif, commande_id, quantite_avant, quantite_apres, version)
      SELECT produit_id, delta, ${work.motif ?? 'COMMANDE'}, ${work.orderId ?? null}::uuid, avant, apres, version
      FROM written WHERE delta <> 0 ORDER BY produit_id
      RETURNING 1)
    SELECT produit_id, quantite, version FROM locked ORDER BY produit_id`.execute(db);
  const current = new Map(rows.map((r) => [r.produit_id, { quantite: r.quantite, version: Number(r.version) }]));
  for (const id of ids) {
    const row = current.get(id);
    if (row === undefined) return { code: 'UNKNOWN_PRODUCT', message: `Product ${id} is not stocked here`, productId: id };
    const seen = expected.get(id);
    // checked before the quantity: a stale snapshot may have allocated from the wrong warehouse
    if (seen !== undefined && row.version !== seen) {
      return { code: 'CONFLICT', message: `The stock of product ${id} changed since it was read (version ${seen}, now ${row.version}); retry`, productId: id };
    }
    if (row.quantite + deltas.get(id)! < 0) {
      // a copy that was behind allocated from here: the order may still be served elsewhere
      if (guessed.has(id)) return { code: 'CONFLICT', message: `The local copy showed more of product ${id} than this warehouse holds (${row.quantite}); plan again`, productId: id };
      return { code: 'OUT_OF_STOCK', message: `Only ${row.quantite} of product ${id} left at this warehouse`, productId: id, available: row.quantite };
    }
  }
  return null;
}

/**
 * The order's rows in one statement (one round trip): the client must be held here, the intent's
 * row fences this decision against the order's final failure (intents.ts), then the order, its
 * lines, its payment (authorized, not captured: the outbox row makes the site's relay capture it)
 * and the outbox row. The failure paths read what they report in a statement of their own.
 */
async function createOrder(db: Kysely<SiteDatabase>, order: NonNullable<ParticipantWork['createOrder']>, gid: string | null): Promise<Refusal | null> {
  if (order.lines.length === 0) throw new Error(`Order ${order.id} has no lines`);
  const lines = sql.join(order.lines.map((l) => sql`(${l.productId}::integer, ${l.site}::text, ${l.quantity}::integer, ${l.unitPrice}::integer)`));
  const { rows } = await sql<{ client: boolean; confirmed: boolean; inserted: boolean }>`
    WITH held AS (SELECT id FROM client WHERE id = ${order.clientId}),
    intent AS (
      UPDATE intention_commande SET statut = 'CONFIRMED', updated_at = ${new Date()}
      WHERE commande_id = ${order.id}::uuid AND statut = 'PENDING' AND EXISTS (SELECT 1 FROM held)
      RETURNING commande_id),
    cmd AS (
      -- a concurrent call with the same key waits here on the unique index until the first commits
      INSERT INTO commande (id, client_id, statut, total, idempotency_key, gid)
      SELECT commande_id, ${order.clientId}, 'CONFIRMEE', ${order.total}, ${order.idempotencyKey}::text, ${gid}::text FROM intent
      ON CONFLICT (client_id, idempotency_key) DO NOTHING
      RETURNING id),
    lignes AS (
      INSERT INTO ligne_commande (commande_id, produit_id, site, quantite, prix_unitaire)
      SELECT cmd.id, l.produit_id, l.site, l.quantite, l.prix FROM cmd, (VALUES ${lines}) AS l(produit_id, site, quantite, prix)
      RETURNING 1),
    pay AS (
      INSERT INTO paiement (commande_id, montant, methode, statut, reference)
      SELECT id, ${order.payment.amount}, ${order.payment.method}, 'AUTORISE', ${order.payment.reference} FROM cmd
      RETURNING 1),
    outbox AS (
      INSERT INTO sortie_paiement (commande_id, reference, operation, montant, statut, derniere_erreur, done_at)
      SELECT id, ${order.payment.reference}, 'CAPTURE', ${order.payment.amount}, 'PENDING', NULL, NULL FROM cmd
      RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM held) AS client, EXISTS (SELECT 1 FROM intent) AS confirmed, EXISTS (SELECT 1 FROM cmd) AS inserted`.execute(db);
  const outcome = rows[0]!;
  if (!outcome.client) return { code: 'UNKNOWN_CLIENT', message: `Client ${order.clientId} is not held by this site` };
  if (!outcome.confirmed) {
    const intent = await db.selectFrom('intention_commande').select('statut').where('commande_id', '=', order.id).executeTakeFirst();
    if (intent?.statut === 'CONFIRMED') return { code: 'DUPLICATE', message: 'This order is already confirmed', existingOrderId: order.id };
    return { code: 'ABORTED', message: intent ? 'The order was given up (its intent is FAILED)' : 'No intent was recorded for this order' };
  }
  if (!outcome.inserted) {
    const existing = await db
      .selectFrom('commande')
      .select('id')
      .where('client_id', '=', order.clientId)
      .where('idempotency_key', '=', order.idempotencyKey)
      .executeTakeFirstOrThrow();
    return { code: 'DUPLICATE', message: 'An order with this idempotency key exists', existingOrderId: existing.id };
  }
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
