/**
 * The payment provider as an HTTP JSON service: Stripe-style authorize / capture / void / refund
 * with an Idempotency-Key header, over its own durable ledger (ledger.ts). It stands in locally
 * for Wave, Orange Money or a card acquirer, with the contract shape real providers use.
 *
 * Callers authenticate with the internal secret (the orders coordinator, the site relays); an
 * administrator's token may read (GET). Errors answer `{ error: { code, message } }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { TokenVerifier } from '../../lib/auth/token-verifier.ts';
import type { ServiceConfig } from '../../lib/config.ts';
import { createKysely } from '../../lib/db/connect.ts';
import { FollowingPool } from '../../lib/db/following-pool.ts';
import type { PaymentsDatabase } from '../../lib/db/tables.ts';
import { TerangaError } from '../../lib/errors.ts';
import { authenticate } from '../../lib/service/caller.ts';
import { bodyErrors, jsonBody, lastResortErrors } from '../../lib/service/http-guards.ts';
import { observeRequests } from '../../lib/service/http-observability.ts';
import { isInternalCaller } from '../../lib/service/internal-auth.ts';
import { createLogger, type Logger } from '../../lib/service/logger.ts';
import { metricsEndpoint } from '../../lib/service/metrics.ts';
import { assignRequestId } from '../../lib/service/request-context.ts';
import type { Topology } from '../../lib/topology.ts';
import { PaymentMethodSchema } from '../../lib/twopc/work.ts';
import { Ledger, type Transition } from './ledger.ts';
import { openApiDocument } from './openapi.ts';
import { NORMAL, type PaymentsSettings, type TestBehaviour } from './settings.ts';

export interface PaymentsServerOptions {
  topology: Topology;
  config: ServiceConfig;
  settings: PaymentsSettings;
  tokenVerifier?: TokenVerifier;
  logger?: Logger;
}

export interface RunningPayments {
  readonly url: string;
  stop(): Promise<void>;
}

const AuthorizeSchema = z.object({
  amount: z.number().int().nonnegative().max(2_147_483_647),
  currency: z.literal('XOF'),
  method: PaymentMethodSchema,
  orderId: z.string().uuid(),
}).strict();

const KEY = /^[\x21-\x7e]{1,255}$/;
const REFERENCE = /^pay_[0-9a-f]{32}$/;

function sendError(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error: { code, message, ...extra } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createPaymentsServer(options: PaymentsServerOptions) {
  const logger = options.logger ?? createLogger('payments');
  const pool = new FollowingPool(options.topology, 'payments', { target: 'primary', applicationName: 'teranga-payments', max: 10 });
  const db: Kysely<PaymentsDatabase> = createKysely<PaymentsDatabase>(pool);
  const ledger = new Ledger(db);
  const { limits } = options.settings;
  const behaviour: TestBehaviour | null = options.settings.test ? { ...options.settings.test } : null;
  const secret = options.config.internalSecret;

  const app = express();
  app.disable('x-powered-by');
  app.use(assignRequestId(), observeRequests('payments', logger));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'payments' });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await pool.query('SELECT 1');
      res.json({ status: 'ready', service: 'payments' });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', service: 'payments', reason: (error as Error).message });
    }
  });
  app.get('/metrics', metricsEndpoint());
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  if (behaviour) {
    app.put('/internal/test-settings', jsonBody('10kb'), bodyErrors('10kb'), (req, res) => {
      if (!isInternalCaller(req.headers, secret)) {
        sendError(res, 403, 'FORBIDDEN', 'internal endpoint');
        return;
      }
      const parsed = z.object({
        declineAll: z.boolean().optional(),
        failAll: z.boolean().optional(),
        failTransitions: z.boolean().optional(),
        failNext: z.number().int().nonnegative().optional(),
        delayMs: z.number().int().nonnegative().max(120_000).optional(),
      }).strict().safeParse(req.body);
      if (!parsed.success) {
        sendError(res, 400, 'BAD_USER_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        return;
      }
      Object.assign(behaviour, NORMAL, parsed.data);
      logger.warn({ behaviour }, 'test settings changed');
      res.json(behaviour);
    });
  }

  // Who may call: the internal secret for everything, an administrator's token to read.
  app.use('/v1', async (req: Request, res: Response, next: NextFunction) => {
    if (isInternalCaller(req.headers, secret)) {
      next();
      return;
    }
    try {
      const principal = await authenticate(req.header('authorization'), options.tokenVerifier);
      res.locals.principal = principal;
      if (principal.kind === 'anonymous') {
        res.setHeader('www-authenticate', 'Bearer realm="teranga"');
        sendError(res, 401, 'UNAUTHENTICATED', 'The payment API needs the internal secret or an administrator token');
        return;
      }
      if (principal.kind !== 'admin' || req.method !== 'GET') {
        sendError(res, 403, 'FORBIDDEN', 'An administrator token may only read payments');
        return;
      }
      next();
    } catch (error) {
      if (!(error instanceof TerangaError)) throw error;
      res.setHeader('www-authenticate', 'Bearer realm="teranga"');
      sendError(res, 401, 'UNAUTHENTICATED', error.message);
    }
  });

  // Test behaviours, after authentication: a late or failing provider as its callers see it.
  if (behaviour) {
    app.use('/v1', async (req: Request, res: Response, next: NextFunction) => {
      if (behaviour.delayMs > 0) await sleep(behaviour.delayMs);
      const transition = /\/(capture|void|refund)$/.test(req.path);
      if (req.method !== 'GET' && (behaviour.failAll || behaviour.failNext > 0 || (transition && behaviour.failTransitions))) {
        if (behaviour.failNext > 0) behaviour.failNext--;
        sendError(res, 503, 'PAYMENT_UNAVAILABLE', 'The provider is unavailable (test setting)');
        return;
      }
      next();
    });
  }

  app.post('/v1/payments', jsonBody('10kb'), bodyErrors('10kb'), async (req, res) => {
    const key = req.header('idempotency-key');
    if (!key || !KEY.test(key)) {
      sendError(res, 400, 'BAD_USER_INPUT', 'The Idempotency-Key header is required: 1 to 255 printable characters');
      return;
    }
    const parsed = AuthorizeSchema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, 400, 'BAD_USER_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return;
    }
    const request = parsed.data;
    if (behaviour?.declineAll) {
      sendError(res, 402, 'PAYMENT_DECLINED', `${request.method} declined the payment (test setting)`);
      return;
    }
    if (request.amount > limits[request.method]) {
      sendError(res, 402, 'PAYMENT_DECLINED', `${request.method} declines payments above ${limits[request.method]} FCFA`);
      return;
    }
    const result = await ledger.authorize(key, request);
    if (result.kind === 'key-reused') {
      sendError(res, 409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request', { reference: result.payment.reference });
      return;
    }
    if (result.kind === 'replayed') res.setHeader('idempotent-replayed', 'true');
    res.status(result.kind === 'created' ? 201 : 200).json(result.payment);
  });

  for (const transition of ['capture', 'void', 'refund'] as const satisfies readonly Transition[]) {
    app.post(`/v1/payments/:reference/${transition}`, async (req, res) => {
      const reference = String(req.params.reference);
      if (!REFERENCE.test(reference)) {
        sendError(res, 404, 'NOT_FOUND', `No payment ${reference.slice(0, 80)}`);
        return;
      }
      const result = await ledger.transition(reference, transition);
      if (result.kind === 'not-found') {
        sendError(res, 404, 'NOT_FOUND', `No payment ${reference}`);
        return;
      }
      if (result.kind === 'conflict') {
        sendError(res, 409, 'PAYMENT_STATE_CONFLICT', `Cannot ${transition} a payment that is ${result.payment.status}`, { status: result.payment.status });
        return;
      }
      res.status(200).json(result.payment);
    });
  }

  app.get('/v1/payments/:reference', async (req, res) => {
    const payment = await ledger.byReference(String(req.params.reference));
    if (!payment) {
      sendError(res, 404, 'NOT_FOUND', `No payment ${String(req.params.reference).slice(0, 80)}`);
      return;
    }
    res.json(payment);
  });

  app.get('/v1/payments', async (req, res) => {
    const orderId = req.query.orderId;
    if (orderId === undefined) {
      // the whole ledger, with capture counts: the provider's report reconciliation reads
      res.json({ data: await ledger.all() });
      return;
    }
    if (typeof orderId !== 'string' || !z.string().uuid().safeParse(orderId).success) {
      sendError(res, 400, 'BAD_USER_INPUT', 'orderId must be a UUID');
      return;
    }
    res.json({ data: await ledger.byOrder(orderId) });
  });

  app.use((_req, res) => {
    sendError(res, 404, 'NOT_FOUND', 'No such route');
  });
  app.use(lastResortErrors(logger));

  return {
    app,
    logger,
    async listen(port: number, host = '127.0.0.1'): Promise<RunningPayments> {
      const server = http.createServer(app);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const actual = (server.address() as AddressInfo).port;
      return {
        url: `http://${host}:${actual}`,
        async stop() {
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await db.destroy();
        },
      };
    },
  };
}
