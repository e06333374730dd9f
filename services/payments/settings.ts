/**
 * The provider's settings, read once at start. The per-method ceilings are those mobile-money
 * wallets and card acquirers apply to one payment. Test settings (`TERANGA_PAYMENTS_TEST_SETTINGS=on`)
 * let a test make the provider decline every authorization, answer 503, or answer late — at start
 * from the environment, and at run time through `PUT /internal/test-settings`; they are off in
 * production, where that route does not exist.
 */
import type { PaymentMethod } from '../../lib/twopc/work.ts';

export const DEFAULT_LIMITS: Readonly<Record<PaymentMethod, number>> = Object.freeze({
  WAVE: 2_000_000,
  ORANGE_MONEY: 2_000_000,
  CARD: 5_000_000,
  CASH_ON_DELIVERY: 3_000_000,
});

export interface TestBehaviour {
  /** Decline every authorization (402). */
  declineAll: boolean;
  /** Answer 503 to every call but reads (GET) and health checks. */
  failAll: boolean;
  /** Answer 503 to captures, voids and refunds only (authorizations go through). */
  failTransitions: boolean;
  /** Answer 503 to this many calls, then serve normally. */
  failNext: number;
  /** Wait this long before answering each call. */
  delayMs: number;
}

export const NORMAL: Readonly<TestBehaviour> = Object.freeze({ declineAll: false, failAll: false, failTransitions: false, failNext: 0, delayMs: 0 });

export interface PaymentsSettings {
  readonly limits: Readonly<Record<PaymentMethod, number>>;
  /** null: test settings disabled. */
  readonly test: TestBehaviour | null;
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got "${raw}"`);
  return value;
}

export function paymentsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PaymentsSettings {
  const enabled = env.TERANGA_PAYMENTS_TEST_SETTINGS;
  if (enabled !== undefined && enabled !== '' && enabled !== 'on' && enabled !== 'off') {
    throw new Error(`TERANGA_PAYMENTS_TEST_SETTINGS must be "on" or "off", got "${enabled}"`);
  }
  const test: TestBehaviour | null = enabled === 'on'
    ? {
        declineAll: env.TERANGA_PAYMENTS_DECLINE === '1',
        failAll: env.TERANGA_PAYMENTS_FAIL === '1',
        failTransitions: env.TERANGA_PAYMENTS_FAIL_TRANSITIONS === '1',
        failNext: nonNegativeInt(env, 'TERANGA_PAYMENTS_FAIL_NEXT'),
        delayMs: nonNegativeInt(env, 'TERANGA_PAYMENTS_DELAY_MS'),
      }
    : null;
  return Object.freeze({ limits: DEFAULT_LIMITS, test });
}
