/**
 * Who may take an order intent over before its lease expires (lib/twopc/intent.ts).
 */
import { describe, expect, it } from 'vitest';
import { heldByEndedRun, leaseHolder, OrderIntentSchema } from '../lib/twopc/intent.ts';

const RUN1 = '00000000-0000-4000-8000-000000000001';
const RUN2 = '00000000-0000-4000-8000-000000000002';

describe('an intent lease', () => {
  it('passes at once to a later run of the coordinator that held it, whose earlier run has ended', () => {
    expect(heldByEndedRun(leaseHolder('orders:dakar', RUN1), leaseHolder('orders:dakar', RUN2))).toBe(true);
  });

  it('stays with its holder against its own run, another coordinator, or an unknown holder (an intent moved with its client)', () => {
    expect(heldByEndedRun(leaseHolder('orders:dakar', RUN1), leaseHolder('orders:dakar', RUN1))).toBe(false);
    expect(heldByEndedRun(leaseHolder('orders:dakar', RUN1), leaseHolder('orders:thies', RUN2))).toBe(false);
    expect(heldByEndedRun(null, leaseHolder('orders:dakar', RUN2))).toBe(false);
  });

  it('names its holder in every claim: an intent without one, or with a malformed one, is refused', () => {
    const intent = { orderId: RUN1, clientId: 1, key: null, fingerprint: '0'.repeat(64), amount: 1, method: 'WAVE', leaseMs: 1_000 };
    expect(OrderIntentSchema.safeParse(intent).success).toBe(false);
    expect(OrderIntentSchema.safeParse({ ...intent, holder: 'orders:dakar' }).success).toBe(false);
    expect(OrderIntentSchema.safeParse({ ...intent, holder: leaseHolder('orders:dakar', RUN1) }).success).toBe(true);
  });
});
