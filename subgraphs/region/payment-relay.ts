/**
 * The payment relay of one site: drives each PENDING row of the outbox (sortie_paiement) to the
 * provider — capture, void or refund, all idempotent there — until acknowledged, and only then
 * marks the row DONE and sets `paiement.statut` in one local transaction. Rows are durable, so a
 * crash of this process or of the provider only delays them. Rows of one order are applied in id
 * order (a refund waits for its capture); an unreachable provider is retried with backoff; an
 * impossible transition (the provider answers 409) is REJECTED and logged for reconciliation.
 */
import { sql, type Kysely } from 'kysely';
import type { OperationPaiement, PaiementStatut, SiteDatabase } from '../../lib/db/tables.ts';
import { PaymentUnavailableError, type PaymentsClient, type TransitionOutcome } from '../../lib/payments/client.ts';
import { passRunner } from '../../lib/service/pass-runner.ts';
import { eachAtMost } from '../../lib/each-at-most.ts';

export interface RelayOptions {
  db: Kysely<SiteDatabase>;
  payments: PaymentsClient;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  intervalMs: number;
}

export interface RelayReport {
  done: number;
  rejected: number;
  retried: number;
}

const STATUT_AFTER: Readonly<Record<OperationPaiement, PaiementStatut>> = { CAPTURE: 'CAPTURE', VOID: 'ANNULE', REFUND: 'REMBOURSE' };
const VERB: Readonly<Record<OperationPaiement, 'capture' | 'void' | 'refund'>> = { CAPTURE: 'capture', VOID: 'void', REFUND: 'refund' };

/** Orders a pass drives at once (each takes a connection of the site's pool while it writes). */
const RELAY_CONCURRENCY = 4;

/** Backoff of a row the provider did not acknowledge: 0.2 s doubling, at most 10 s. */
const backoffMs = (attempts: number) => Math.min(10_000, 200 * 2 ** Math.min(attempts, 6));

async function apply(options: RelayOptions, row: { commande_id: string; reference: string | null; operation: OperationPaiement }): Promise<TransitionOutcome | { ok: true; payment: null }> {
  const verb = VERB[row.operation];
  if (row.reference !== null) return options.payments.transition(row.reference, verb);
  // The authorization's answer was lost (or never came): repeat it with the order's key, which
  // returns the payment if it exists and otherwise creates it, so that a request still on its way
  // to the provider finds it voided rather than authorizing anew; then void it.
  const intent = await options.db.selectFrom('intention_commande').select(['montant', 'methode']).where('commande_id', '=', row.commande_id).executeTakeFirst();
  if (intent) {
    const answer = await options.payments.authorize({ orderId: row.commande_id, amount: Number(intent.montant), method: intent.methode, idempotencyKey: row.commande_id });
    if (answer.approved) {
      if (answer.payment.status === 'VOIDED') return { ok: true, payment: answer.payment };
      return options.payments.transition(answer.payment.reference, verb);
    }
    if (answer.code === 'PAYMENT_DECLINED') return { ok: true, payment: null };
  }
  for (const payment of await options.payments.byOrder(row.commande_id)) {
    if (payment.status !== 'AUTHORIZED') continue;
    const outcome = await options.payments.transition(payment.reference, verb);
    if (!outcome.ok) return outcome;
  }
  return { ok: true, payment: null };
}

export async function relayOnce(options: RelayOptions): Promise<RelayReport> {
  const { db } = options;
  const report: RelayReport = { done: 0, rejected: 0, retried: 0 };
  // the rows due now, less those of an order whose earlier row waits for its next try: rows that
  // wait take no place in the pass, or a backlog of them would keep the new ones out
  const rows = await db
    .selectFrom('sortie_paiement as s')
    .select(['s.id', 's.commande_id', 's.reference', 's.operation', 's.tentatives'])
    .where('s.statut', '=', 'PENDING')
    .where('s.prochain_essai', '<=', sql<Date>`now()`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sortie_paiement as e')
            .select('e.id')
            .whereRef('e.commande_id', '=', 's.commande_id')
            .where('e.statut', '=', 'PENDING')
            .whereRef('e.id', '<', 's.id')
            .where('e.prochain_essai', '>', sql<Date>`now()`),
        ),
      ),
    )
    .orderBy('s.id')
    .limit(200)
    .execute();
  // rows of one order one after another, in id order (a refund waits for its capture); orders
  // side by side: the provider's latency, not this site, bounds a pass that drives them one by one
  const byOrder = new Map<string, (typeof rows)[number][]>();
  for (const row of rows) {
    const group = byOrder.get(row.commande_id);
    if (group) group.push(row);
    else byOrder.set(row.commande_id, [row]);
  }
  await eachAtMost([...byOrder.values()], RELAY_CONCURRENCY, async (group) => {
    for (const row of group) if (!(await relayRow(options, row, report))) break;
  });
  return report;
}

/** Drives one row to the provider; false when it is not done (rejected, or to be retried), which holds back the order's later rows. */
async function relayRow(
  options: RelayOptions,
  row: { id: number; commande_id: string; reference: string | null; operation: OperationPaiement; tentatives: number },
  report: RelayReport,
): Promise<boolean> {
  const { db } = options;
  try {
    const outcome = await apply(options, row);
    if (outcome.ok) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('sortie_paiement').set({ statut: 'DONE', done_at: new Date(), tentatives: sql<number>`tentatives + 1` }).where('id', '=', row.id).execute();
        await trx.updateTable('paiement').set({ statut: STATUT_AFTER[row.operation], updated_at: new Date() }).where('commande_id', '=', row.commande_id).execute();
      });
      report.done++;
      return true;
    } else {
      await db
        .updateTable('sortie_paiement')
        .set({ statut: 'REJECTED', derniere_erreur: `${outcome.code}: ${outcome.reason}`.slice(0, 1000), done_at: new Date(), tentatives: sql<number>`tentatives + 1` })
        .where('id', '=', row.id)
        .execute();
      report.rejected++;
      options.log('error', 'payment operation rejected by the provider', { orderId: row.commande_id, reference: row.reference, operation: row.operation, reason: outcome.reason });
      return false;
    }
  } catch (error) {
    report.retried++;
    const message = (error as Error).message;
    await db
      .updateTable('sortie_paiement')
      .set({
        tentatives: sql<number>`tentatives + 1`,
        derniere_erreur: message.slice(0, 1000),
        prochain_essai: sql<Date>`now() + ${`${backoffMs(row.tentatives)} milliseconds`}::interval`,
      })
      .where('id', '=', row.id)
      .execute()
      .catch(() => {});
    if (!(error instanceof PaymentUnavailableError)) options.log('warn', 'payment relay: unexpected failure', { orderId: row.commande_id, error: message });
    return false;
  }
}

export interface PaymentRelay {
  /** Runs a pass soon (after a commit that wrote to the outbox); passes never overlap. */
  kick(): void;
  /** A pass that starts after the call, so that it reads the rows written before it. */
  runNow(): Promise<RelayReport>;
  stop(): void;
}

export function startPaymentRelay(options: RelayOptions): PaymentRelay {
  const passes = passRunner(() =>
    relayOnce(options).catch((error: Error) => {
      options.log('warn', 'payment relay pass failed', { error: error.message });
      return { done: 0, rejected: 0, retried: 0 };
    }),
  );
  const timer = setInterval(() => void passes.tick(), options.intervalMs);
  timer.unref();
  return { kick: () => void passes.runNow(), runNow: passes.runNow, stop: () => clearInterval(timer) };
}
