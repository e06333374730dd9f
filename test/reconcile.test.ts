/**
 * Reconciliation's comparison (lib/payments/reconcile.ts), on hand-made site rows and ledgers.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderPayment } from '../lib/payments/client.ts';
import { reconcile, type SitePayment } from '../lib/payments/reconcile.ts';

const order = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const site = (n: number, over: Partial<SitePayment> = {}): SitePayment => ({
  site: 'dakar', orderId: order(n), orderStatus: 'CONFIRMEE', reference: `pay_${n}`, amount: 1000, method: 'WAVE', statut: 'CAPTURE', outboxPending: false, ...over,
});
const provider = (n: number, over: Partial<ProviderPayment> = {}): ProviderPayment => ({
  reference: `pay_${n}`, orderId: order(n), amount: 1000, currency: 'XOF', method: 'WAVE', status: 'CAPTURED', captures: 1, ...over,
});

describe('reconcile', () => {
  it('finds nothing when both sides agree, and waits for the relay', () => {
    const report = reconcile(
      [site(1), site(2, { orderStatus: 'ANNULEE', statut: 'REMBOURSE' }), site(3, { statut: 'AUTORISE', outboxPending: true })],
      [{ site: 'thies', orderId: order(4), status: 'FAILED', outboxPending: false }],
      [provider(1), provider(2, { status: 'REFUNDED' }), provider(3, { status: 'AUTHORIZED', captures: 0 }), provider(4, { status: 'VOIDED', captures: 0 })],
    );
    expect(report).toEqual({ checked: 4, mismatches: [] });
  });

  it('names each kind of mismatch', () => {
    const report = reconcile(
      [
        site(1, { statut: 'AUTORISE' }),
        site(2, { orderStatus: 'ANNULEE', statut: 'CAPTURE' }),
        site(3, { amount: 999 }),
        site(4, { method: 'CARD' }),
        site(5),
        site(6),
      ],
      [{ site: 'dakar', orderId: order(8), status: 'FAILED', outboxPending: false }],
      [
        provider(1, { status: 'VOIDED', captures: 0 }),
        provider(2),
        provider(3),
        provider(4),
        provider(6, { captures: 2 }),
        provider(7),
        provider(8, { status: 'AUTHORIZED', captures: 0 }),
      ],
    );
    expect(report.mismatches.map((m) => [m.orderId, m.problem])).toEqual([
      [order(1), 'CONFIRMED_NOT_CAPTURED'],
      [order(2), 'CANCELLED_NOT_REFUNDED'],
      [order(3), 'AMOUNT_DIFFERS'],
      [order(4), 'METHOD_DIFFERS'],
      [order(5), 'UNKNOWN_AT_PROVIDER'],
      [order(6), 'CAPTURED_TWICE'],
      [order(7), 'CAPTURED_WITHOUT_ORDER'],
      [order(8), 'AUTHORIZED_WITHOUT_ORDER'],
    ]);
    expect(report.mismatches[0]).toMatchObject({ site: 'dakar', reference: 'pay_1', database: { statut: 'AUTORISE' }, provider: { status: 'VOIDED' } });
  });
});
