/**
 * The order intent: what the coordinator asks the client's site to record before it authorizes
 * a payment, and the answers. Travels as JSON between the orders coordinator and the site.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PaymentMethodSchema, type PaymentMethod } from './work.ts';

export const OrderIntentSchema = z.object({
  orderId: z.string().uuid(),
  clientId: z.number().int().positive().max(2_147_483_647),
  key: z.string().min(1).max(200).nullable(),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  amount: z.number().int().nonnegative(),
  method: PaymentMethodSchema,
  /** How long the caller holds the order before another caller or recovery may take it over. */
  leaseMs: z.number().int().positive().max(600_000),
  /** The caller: a coordinator and the run of its process (see leaseHolder). */
  holder: z.string().regex(/^[a-z0-9:-]{1,60}#[0-9a-f-]{36}$/),
});

export type OrderIntent = z.infer<typeof OrderIntentSchema>;

/** A lease holder: `coordinator` names the coordinator (one process at a time), `run` its current process. */
export const leaseHolder = (coordinator: string, run: string): string => `${coordinator}#${run}`;

/**
 * Whether a lease held by `held` may pass to `claimer` before it expires: when both are runs of the
 * same coordinator, the holder's run has ended (a coordinator runs one process at a time), and its
 * lease protects nothing any more.
 */
export function heldByEndedRun(held: string | null, claimer: string): boolean {
  if (held === null || held === claimer) return false;
  const coordinatorOf = (holder: string) => holder.slice(0, holder.lastIndexOf('#'));
  return coordinatorOf(held) === coordinatorOf(claimer);
}

/**
 * NEW: recorded, the caller drives the order. TAKEN_OVER: an expired lease passed to the caller
 * (same order id). PENDING: another caller holds it. CONFIRMED / FAILED: decided. KEY_REUSED:
 * the key belongs to another request.
 */
export type IntentOutcome =
  | { outcome: 'NEW' | 'TAKEN_OVER'; orderId: string }
  | { outcome: 'PENDING'; orderId: string; leaseRemainingMs: number }
  | { outcome: 'CONFIRMED'; orderId: string }
  | { outcome: 'FAILED'; orderId: string; code: string; message: string }
  | { outcome: 'KEY_REUSED'; orderId: string };

export interface FinalizeRequest {
  orderId: string;
  code: string;
  message: string;
  /** The authorization may exist: write a VOID to the outbox (reference null: find it by order id). */
  voidPayment: boolean;
  reference: string | null;
}

export const FinalizeRequestSchema = z.object({
  orderId: z.string().uuid(),
  code: z.string().min(1).max(50),
  message: z.string().max(1000),
  voidPayment: z.boolean(),
  reference: z.string().min(1).max(200).nullable(),
});

/** The outcome that holds after a finalize: FAILED as asked, or CONFIRMED if the order committed first. */
export type FinalizeOutcome = { status: 'FAILED' | 'CONFIRMED' | 'UNKNOWN' };

/**
 * The canonical request of an order: the same client, the same merged and sorted lines and the
 * same payment method make the same fingerprint, however the lines were written.
 */
export function orderFingerprint(clientId: number, demands: readonly { productId: number; quantity: number }[], method: PaymentMethod): string {
  const lines = [...demands].sort((a, b) => a.productId - b.productId).map((d) => [d.productId, d.quantity]);
  return createHash('sha256').update(JSON.stringify({ clientId, lines, method })).digest('hex');
}
