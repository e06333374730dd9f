/**
 * Payments go through a provider behind this interface: authorized before the commit decision,
 * captured once it is durable, voided on abort. Teranga stores only the provider's reference.
 */
import { randomUUID } from 'node:crypto';
import type { PaymentMethod } from '../../lib/twopc/work.ts';

export type Authorization = { approved: true; reference: string } | { approved: false; reason: string };

export interface PaymentProvider {
  authorize(request: { amount: number; method: PaymentMethod; idempotencyKey: string }): Promise<Authorization>;
  capture(reference: string): Promise<void>;
  void(reference: string): Promise<void>;
}

/** Per-transaction ceilings in FCFA, as mobile-money wallets and cards apply them. */
export const DEFAULT_LIMITS: Readonly<Record<PaymentMethod, number>> = {
  WAVE: 2_000_000,
  ORANGE_MONEY: 2_000_000,
  CARD: 5_000_000,
  CASH_ON_DELIVERY: 3_000_000,
};

/**
 * The local stand-in for a payment provider: declines amounts above the method's ceiling and
 * keeps its ledger in memory. The same idempotency key always yields the same authorization.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly ledger = new Map<string, { amount: number; method: PaymentMethod; state: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' }>();
  private readonly byKey = new Map<string, string>();

  constructor(private readonly limits: Readonly<Record<PaymentMethod, number>> = DEFAULT_LIMITS) {}

  async authorize(request: { amount: number; method: PaymentMethod; idempotencyKey: string }): Promise<Authorization> {
    if (request.amount > this.limits[request.method]) {
      return { approved: false, reason: `${request.method} declines payments above ${this.limits[request.method]} FCFA` };
    }
    const known = this.byKey.get(request.idempotencyKey);
    if (known) return { approved: true, reference: known };
    const reference = `SIM-${request.method}-${randomUUID()}`;
    this.byKey.set(request.idempotencyKey, reference);
    this.ledger.set(reference, { amount: request.amount, method: request.method, state: 'AUTHORIZED' });
    return { approved: true, reference };
  }

  async capture(reference: string): Promise<void> {
    const entry = this.ledger.get(reference);
    if (entry && entry.state === 'AUTHORIZED') entry.state = 'CAPTURED';
  }

  async void(reference: string): Promise<void> {
    const entry = this.ledger.get(reference);
    if (entry && entry.state === 'AUTHORIZED') entry.state = 'VOIDED';
  }
}
