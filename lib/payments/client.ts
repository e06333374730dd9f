/**
 * The HTTP client of the payment provider (services/payments), used by the orders coordinator
 * (authorize), the site relays (capture, void, refund) and reconciliation (reads). Every call
 * carries the internal secret and a timeout; the answers are typed outcomes, not exceptions,
 * except for an unreachable or failing provider (PaymentUnavailableError), which the caller
 * retries or gives up on.
 */
import { INTERNAL_SECRET_HEADER } from '../config.ts';
import { currentRequestId, REQUEST_ID_HEADER } from '../service/request-context.ts';
import { serviceByName, type Topology } from '../topology.ts';
import type { PaymentMethod } from '../twopc/work.ts';

export type ProviderStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

export interface ProviderPayment {
  reference: string;
  orderId: string;
  amount: number;
  currency: 'XOF';
  method: PaymentMethod;
  status: ProviderStatus;
  captures?: number;
}

export type Authorization =
  | { approved: true; payment: ProviderPayment }
  | { approved: false; code: 'PAYMENT_DECLINED' | 'IDEMPOTENCY_KEY_REUSED'; reason: string };

export type TransitionOutcome = { ok: true; payment: ProviderPayment } | { ok: false; code: 'PAYMENT_STATE_CONFLICT' | 'NOT_FOUND'; reason: string };

export class PaymentUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The payment provider is unavailable: ${(cause as Error)?.message ?? cause}`);
    this.name = 'PaymentUnavailableError';
  }
}

/** What the order flow needs from a provider; the relay and reconciliation use the full client. */
export interface PaymentProvider {
  authorize(request: { orderId: string; amount: number; method: PaymentMethod; idempotencyKey: string }, timeoutMs?: number): Promise<Authorization>;
}

export interface PaymentsClientOptions {
  topology: Topology;
  secret: string;
  timeoutMs?: number;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class PaymentsClient implements PaymentProvider {
  private readonly base: string;

  constructor(private readonly options: PaymentsClientOptions) {
    this.base = serviceByName(options.topology, 'payments').url;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<{ status: number; body: unknown }> {
    let response: Response;
    // the request being served, when there is one: the provider's log line carries its id
    const requestId = currentRequestId();
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { [INTERNAL_SECRET_HEADER]: this.options.secret, ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(Math.max(1, timeoutMs ?? this.options.timeoutMs ?? 5_000)),
      });
    } catch (error) {
      throw new PaymentUnavailableError(error);
    }
    if (response.status >= 500) throw new PaymentUnavailableError(new Error(`HTTP ${response.status}`));
    if (response.status === 401 || response.status === 403) throw new Error(`The payment provider refused our credentials (HTTP ${response.status})`);
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  async authorize(request: { orderId: string; amount: number; method: PaymentMethod; idempotencyKey: string }, timeoutMs?: number): Promise<Authorization> {
    const { status, body } = await this.call(
      'POST',
      '/v1/payments',
      { amount: request.amount, currency: 'XOF', method: request.method, orderId: request.orderId },
      { 'idempotency-key': request.idempotencyKey },
      timeoutMs,
    );
    if (status === 200 || status === 201) return { approved: true, payment: body as ProviderPayment };
    const error = (body as ErrorBody | null)?.error;
    if (status === 402) return { approved: false, code: 'PAYMENT_DECLINED', reason: error?.message ?? 'Declined' };
    if (status === 409) return { approved: false, code: 'IDEMPOTENCY_KEY_REUSED', reason: error?.message ?? 'Idempotency key reused' };
    throw new Error(`Unexpected answer from the payment provider to authorize: HTTP ${status} ${JSON.stringify(body)}`);
  }

  async transition(reference: string, transition: 'capture' | 'void' | 'refund'): Promise<TransitionOutcome> {
    const { status, body } = await this.call('POST', `/v1/payments/${encodeURIComponent(reference)}/${transition}`);
    if (status === 200) return { ok: true, payment: body as ProviderPayment };
    const error = (body as ErrorBody | null)?.error;
    if (status === 409) return { ok: false, code: 'PAYMENT_STATE_CONFLICT', reason: error?.message ?? 'Impossible transition' };
    if (status === 404) return { ok: false, code: 'NOT_FOUND', reason: error?.message ?? 'Unknown payment' };
    throw new Error(`Unexpected answer from the payment provider to ${transition}: HTTP ${status}`);
  }

  async byReference(reference: string): Promise<ProviderPayment | null> {
    const { status, body } = await this.call('GET', `/v1/payments/${encodeURIComponent(reference)}`);
    return status === 200 ? (body as ProviderPayment) : null;
  }

  async byOrder(orderId: string): Promise<ProviderPayment[]> {
    const { body } = await this.call('GET', `/v1/payments?orderId=${encodeURIComponent(orderId)}`);
    return (body as { data: ProviderPayment[] }).data;
  }

  /** The whole ledger with each payment's capture count. */
  async ledger(): Promise<ProviderPayment[]> {
    const { body } = await this.call('GET', '/v1/payments', undefined, {}, 30_000);
    return (body as { data: ProviderPayment[] }).data;
  }
}
