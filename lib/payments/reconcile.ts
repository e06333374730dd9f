/**
 * Reconciliation of the sites' payments with the provider's ledger: the job a retailer runs every
 * night against its provider's report. Pure: it compares what it is given.
 *
 * Mismatches, once the relay had its chance (no PENDING outbox row for the order):
 * - CONFIRMED_NOT_CAPTURED: a confirmed order whose payment is not captured at the provider;
 * - CANCELLED_NOT_REFUNDED: a cancelled order whose captured payment was not refunded;
 * - CAPTURED_WITHOUT_ORDER: a payment captured (or refunded) at the provider for no order of any site;
 * - AUTHORIZED_WITHOUT_ORDER: money held for an order that was given up (its void never landed);
 * - UNKNOWN_AT_PROVIDER: the site names a reference the provider does not know;
 * - AMOUNT_DIFFERS, METHOD_DIFFERS: the two sides disagree on what was paid;
 * - STATUS_DIFFERS: the site's `paiement.statut` says otherwise than the provider;
 * - CAPTURED_TWICE: the provider applied more than one capture.
 */
import type { ProviderPayment, ProviderStatus } from './client.ts';

export interface SitePayment {
  site: string;
  orderId: string;
  /** `commande.statut`. */
  orderStatus: 'CONFIRMEE' | 'ANNULEE';
  reference: string;
  amount: number;
  method: string;
  /** `paiement.statut`. */
  statut: 'AUTORISE' | 'CAPTURE' | 'ANNULE' | 'REMBOURSE';
  /** The relay still has work for this order. */
  outboxPending: boolean;
}

/** What a site knows of an order that has no `commande`: its intent (given up or in flight). */
export interface SiteIntent {
  site: string;
  orderId: string;
  status: 'PENDING' | 'CONFIRMED' | 'FAILED';
  outboxPending: boolean;
}

export type Problem =
  | 'CONFIRMED_NOT_CAPTURED' | 'CANCELLED_NOT_REFUNDED' | 'CAPTURED_WITHOUT_ORDER' | 'AUTHORIZED_WITHOUT_ORDER'
  | 'UNKNOWN_AT_PROVIDER' | 'AMOUNT_DIFFERS' | 'METHOD_DIFFERS' | 'STATUS_DIFFERS' | 'CAPTURED_TWICE';

export interface Mismatch {
  orderId: string;
  reference: string | null;
  site: string | null;
  problem: Problem;
  /** What the site's database says (null: nothing). */
  database: Record<string, unknown> | null;
  /** What the provider says (null: nothing). */
  provider: Record<string, unknown> | null;
}

export interface ReconcileReport {
  /** Site payments and provider payments compared. */
  checked: number;
  mismatches: Mismatch[];
}

const STATUT_OF: Readonly<Record<ProviderStatus, SitePayment['statut']>> = { AUTHORIZED: 'AUTORISE', CAPTURED: 'CAPTURE', VOIDED: 'ANNULE', REFUNDED: 'REMBOURSE' };

export function reconcile(sitePayments: readonly SitePayment[], intents: readonly SiteIntent[], ledger: readonly ProviderPayment[]): ReconcileReport {
  const mismatches: Mismatch[] = [];
  const byReference = new Map(ledger.map((p) => [p.reference, p]));
  const ordersWithPayment = new Set(sitePayments.map((p) => p.orderId));
  const intentOf = new Map(intents.map((i) => [i.orderId, i]));
  const db = (p: SitePayment) => ({ orderStatus: p.orderStatus, statut: p.statut, amount: p.amount, method: p.method });
  const prov = (p: ProviderPayment) => ({ status: p.status, amount: p.amount, method: p.method, captures: p.captures ?? null });

  for (const payment of sitePayments) {
    const at = byReference.get(payment.reference);
    const add = (problem: Problem) => mismatches.push({ orderId: payment.orderId, reference: payment.reference, site: payment.site, problem, database: db(payment), provider: at ? prov(at) : null });
    if (!at) {
      add('UNKNOWN_AT_PROVIDER');
      continue;
    }
    if (at.amount !== payment.amount) add('AMOUNT_DIFFERS');
    if (at.method !== payment.method) add('METHOD_DIFFERS');
    if ((at.captures ?? 0) > 1) add('CAPTURED_TWICE');
    if (payment.outboxPending) continue; // the relay has not had its chance yet
    if (payment.orderStatus === 'CONFIRMEE' && at.status !== 'CAPTURED') add('CONFIRMED_NOT_CAPTURED');
    else if (payment.orderStatus === 'ANNULEE' && at.status === 'CAPTURED') add('CANCELLED_NOT_REFUNDED');
    else if (STATUT_OF[at.status] !== payment.statut) add('STATUS_DIFFERS');
  }

  for (const payment of ledger) {
    if (ordersWithPayment.has(payment.orderId)) continue;
    const intent = intentOf.get(payment.orderId);
    // an order still in flight, or whose void the relay still has to deliver
    if (intent && (intent.status === 'PENDING' || intent.outboxPending)) continue;
    const base = { orderId: payment.orderId, reference: payment.reference, site: intent?.site ?? null, database: intent ? { intent: intent.status } : null, provider: prov(payment) };
    if (payment.status === 'CAPTURED' || payment.status === 'REFUNDED' || (payment.captures ?? 0) > 0) mismatches.push({ ...base, problem: 'CAPTURED_WITHOUT_ORDER' });
    else if (payment.status === 'AUTHORIZED') mismatches.push({ ...base, problem: 'AUTHORIZED_WITHOUT_ORDER' });
  }
  return { checked: sitePayments.length + ledger.filter((p) => !ordersWithPayment.has(p.orderId)).length, mismatches };
}
