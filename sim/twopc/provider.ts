/**
 * The simulated payment provider, with the contract of services/payments: authorize keyed by an
 * Idempotency-Key (the same key returns the same payment, whatever its status), capture and void
 * idempotent, an impossible transition refused (409) and changing nothing. Its ledger is durable,
 * unless defect 5 is planted: then a restart forgets it, as the old in-memory provider did.
 */
export type PaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED';

export interface LedgerEntry {
  reference: string;
  orderId: string;
  key: string;
  amount: number;
  status: PaymentStatus;
}

export type AuthorizeAnswer = { approved: true; reference: string; status: PaymentStatus } | { approved: false };
export type TransitionAnswer = 'OK' | 'CONFLICT' | 'NOT_FOUND';

export class SimProvider {
  up = true;
  epoch = 0;
  ledger = new Map<string, LedgerEntry>();
  private byKey = new Map<string, string>();
  private next = 0;

  constructor(private readonly volatileLedger: boolean) {}

  restart(): void {
    this.up = true;
    this.epoch++;
    if (this.volatileLedger) {
      this.ledger = new Map();
      this.byKey = new Map();
    }
  }

  authorize(key: string, orderId: string, amount: number, method: string): AuthorizeAnswer {
    const known = this.byKey.get(key);
    if (known) {
      const entry = this.ledger.get(known)!;
      return { approved: true, reference: entry.reference, status: entry.status };
    }
    if (method === 'DECLINED') return { approved: false };
    const reference = `pay_${++this.next}`;
    this.ledger.set(reference, { reference, orderId, key, amount, status: 'AUTHORIZED' });
    this.byKey.set(key, reference);
    return { approved: true, reference, status: 'AUTHORIZED' };
  }

  transition(reference: string, verb: 'capture' | 'void'): TransitionAnswer {
    const entry = this.ledger.get(reference);
    if (!entry) return 'NOT_FOUND';
    const target: PaymentStatus = verb === 'capture' ? 'CAPTURED' : 'VOIDED';
    if (entry.status === target) return 'OK';
    if (entry.status !== 'AUTHORIZED') return 'CONFLICT';
    entry.status = target;
    return 'OK';
  }

  /**
   * A VOID whose reference the site never learnt (the authorization's answer was lost): authorize
   * with the order's key, which finds the payment or creates it, then void it — so that a request
   * still on its way finds it voided rather than authorizing anew (the relay of payment-relay.ts).
   */
  voidByOrder(orderId: string, amount: number): TransitionAnswer {
    const answer = this.authorize(orderId, orderId, amount, 'VOID');
    let result: TransitionAnswer = 'OK';
    if (answer.approved) result = this.transition(answer.reference, 'void');
    for (const entry of this.ledger.values()) {
      if (entry.orderId === orderId && entry.status === 'AUTHORIZED') entry.status = 'VOIDED';
    }
    return result;
  }

  entriesOf(orderId: string): LedgerEntry[] {
    return [...this.ledger.values()].filter((e) => e.orderId === orderId);
  }
}
