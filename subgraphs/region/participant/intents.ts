/**
 * The order intents of this site's clients (intention_commande): recorded before the payment is
 * authorized, decided by the order's decision transaction (CONFIRMED) or by its final failure
 * (FAILED, with a VOID in the outbox). Both update the intent's row, which fences one against the
 * other: whichever commits first wins, the other finds the intent no longer PENDING.
 */
import { sql, type Kysely } from 'kysely';
import type { SiteDatabase } from '../../../lib/db/tables.ts';
import { heldByEndedRun, type FinalizeOutcome, type FinalizeRequest, type IntentOutcome, type OrderIntent } from '../../../lib/twopc/intent.ts';

export async function beginOrder(db: Kysely<SiteDatabase>, intent: OrderIntent): Promise<IntentOutcome> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('intention_commande')
      .values({
        commande_id: intent.orderId,
        client_id: intent.clientId,
        cle_idempotence: intent.key,
        empreinte: intent.fingerprint,
        statut: 'PENDING',
        montant: intent.amount,
        methode: intent.method,
        bail: sql<Date>`now() + ${`${intent.leaseMs} milliseconds`}::interval`,
        titulaire: intent.holder,
      })
      // a concurrent call with the same key waits on the unique index, then reads its row
      .onConflict((oc) => oc.columns(['client_id', 'cle_idempotence']).doNothing())
      .returning('commande_id')
      .executeTakeFirst();
    if (inserted) return { outcome: 'NEW', orderId: intent.orderId };
    const existing = await trx
      .selectFrom('intention_commande')
      .select(['commande_id', 'empreinte', 'statut', 'code_erreur', 'message_erreur', 'titulaire', sql<number>`extract(epoch from (bail - now())) * 1000`.as('remaining')])
      .where('client_id', '=', intent.clientId)
      .where('cle_idempotence', '=', intent.key)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const orderId = existing.commande_id;
    if (existing.empreinte !== intent.fingerprint) return { outcome: 'KEY_REUSED', orderId };
    if (existing.statut === 'CONFIRMED') return { outcome: 'CONFIRMED', orderId };
    if (existing.statut === 'FAILED') return { outcome: 'FAILED', orderId, code: existing.code_erreur ?? 'CONFLICT', message: existing.message_erreur ?? '' };
    const remaining = Number(existing.remaining);
    // a live lease of the claimer's own coordinator, held by an earlier run of it, protects nothing
    if (remaining > 0 && !heldByEndedRun(existing.titulaire, intent.holder)) return { outcome: 'PENDING', orderId, leaseRemainingMs: Math.ceil(remaining) };
    await trx
      .updateTable('intention_commande')
      .set({ bail: sql<Date>`now() + ${`${intent.leaseMs} milliseconds`}::interval`, titulaire: intent.holder, updated_at: sql<Date>`now()` })
      .where('commande_id', '=', orderId)
      .execute();
    return { outcome: 'TAKEN_OVER', orderId };
  });
}

/**
 * The final failure of an order, in one local transaction: the intent PENDING → FAILED and, when
 * an authorization may exist, a VOID in the outbox. Only while the intent is PENDING and no
 * order with that id exists; otherwise the outcome that holds is returned.
 */
export async function finalizeOrder(db: Kysely<SiteDatabase>, request: FinalizeRequest): Promise<FinalizeOutcome> {
  return db.transaction().execute(async (trx) => {
    const intent = await trx
      .selectFrom('intention_commande')
      .select(['statut', 'montant'])
      .where('commande_id', '=', request.orderId)
      .forUpdate()
      .executeTakeFirst();
    if (!intent) return { status: 'UNKNOWN' };
    if (intent.statut !== 'PENDING') return { status: intent.statut };
    const order = await trx.selectFrom('commande').select('id').where('id', '=', request.orderId).executeTakeFirst();
    if (order) {
      await trx.updateTable('intention_commande').set({ statut: 'CONFIRMED', updated_at: sql<Date>`now()` }).where('commande_id', '=', request.orderId).execute();
      return { status: 'CONFIRMED' };
    }
    await trx
      .updateTable('intention_commande')
      .set({ statut: 'FAILED', code_erreur: request.code, message_erreur: request.message.slice(0, 1000), updated_at: sql<Date>`now()` })
      .where('commande_id', '=', request.orderId)
      .execute();
    if (request.voidPayment) {
      await trx
        .insertInto('sortie_paiement')
        .values({ commande_id: request.orderId, reference: request.reference, operation: 'VOID', montant: Number(intent.montant), statut: 'PENDING', derniere_erreur: null, done_at: null })
        .execute();
    }
    return { status: 'FAILED' };
  });
}

/** PENDING intents whose lease expired (by this database's clock): their caller is gone. */
export async function expiredIntents(db: Kysely<SiteDatabase>): Promise<string[]> {
  const rows = await db
    .selectFrom('intention_commande')
    .select('commande_id')
    .where('statut', '=', 'PENDING')
    .where('bail', '<', sql<Date>`now()`)
    .orderBy('bail')
    .limit(500)
    .execute();
  return rows.map((r) => r.commande_id);
}
