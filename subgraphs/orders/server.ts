/**
 * Builds the orders subgraph — the transaction coordinator — with its recovery loop and the
 * internal client-directory endpoint the gateway's router reads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { parse } from 'graphql';
import type { TokenVerifier } from '../../lib/auth/token-verifier.ts';
import type { ServiceConfig } from '../../lib/config.ts';
import { createKysely } from '../../lib/db/connect.ts';
import { FollowingPool } from '../../lib/db/following-pool.ts';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { principalOf } from '../../lib/service/caller.ts';
import { isInternalCaller } from '../../lib/service/internal-auth.ts';
import { createLogger } from '../../lib/service/logger.ts';
import { replicationMetrics } from '../../lib/service/replication-metrics.ts';
import { createSubgraphServer, type SubgraphServer } from '../../lib/service/subgraph-server.ts';
import type { SiteId, Topology } from '../../lib/topology.ts';
import { CONCURRENCY_STRATEGIES, type ConcurrencyStrategy } from './concurrency-control.ts';
import { directoryBranches, sitesOfClients } from './directory.ts';
import type { Faults } from './faults.ts';
import { LEASE_MARGIN_MS, MIN_ATTEMPT_MS, OrderService, orderMachineConfig } from './order-service.ts';
import { OrderDriver } from './protocol/order-driver.ts';
import { PaymentsClient, type PaymentProvider } from '../../lib/payments/client.ts';
import { DEADLINE_HEADER, deadlineFrom } from '../../lib/deadline.ts';
import { startRecoveryLoop } from './recovery.ts';
import { ordersResolvers, type OrdersContext } from './resolvers.ts';
import { SiteClient } from './site-client.ts';
import { randomUUID } from 'node:crypto';
import { leaseHolder } from '../../lib/twopc/intent.ts';

export interface OrdersServerOptions {
  topology: Topology;
  config: ServiceConfig;
  faults: Faults;
  payments?: PaymentProvider;
  /** A prepared transaction without a decision older than this is rolled back by recovery. */
  inDoubtTimeoutMs?: number;
  recoveryIntervalMs?: number;
  participantTimeoutMs?: number;
  maxAttempts?: number;
  /** An order's time budget when the caller sends no deadline (see order-service.ts). */
  orderBudgetMs?: number;
  /** Decision rows every participant acknowledged are deleted after this long (default 10 min). */
  decisionRetentionMs?: number;
  /** How orders take their stock locks (default `locking`; see concurrency-control.ts). */
  concurrency?: ConcurrencyStrategy;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Verifies the callers' bearer tokens; without it any bearer token is refused. */
  tokenVerifier?: TokenVerifier;
  /**
   * The site this coordinator serves: it reads the client directory from that site's local copy.
   * Without it, from the coordinator database.
   */
  site?: SiteId;
}

export async function createOrdersServer(options: OrdersServerOptions): Promise<SubgraphServer & { recovery: ReturnType<typeof startRecoveryLoop> }> {
  const { topology } = options;
  const logger = createLogger('orders');
  const log = options.log ?? ((message, fields) => logger.info(fields ?? {}, message));
  // follows the coordinator database to its standby when that is promoted
  const pool = new FollowingPool(topology, 'coordinator', { target: 'primary', applicationName: 'teranga-orders', max: 20 });
  const db = createKysely<CoordinatorDatabase>(pool);
  const sites = new SiteClient({ topology, site: options.site, secret: options.config.internalSecret, timeoutMs: options.participantTimeoutMs ?? 10_000 });
  const concurrency = options.concurrency ?? 'locking';
  const payments = options.payments ?? new PaymentsClient({ topology, secret: options.config.internalSecret, timeoutMs: 5_000 });
  const maxAttempts = options.maxAttempts ?? 5;
  const driver = new OrderDriver({
    sites, directory: directoryBranches(db), payments, faults: options.faults, config: orderMachineConfig(maxAttempts), log, leaseMarginMs: LEASE_MARGIN_MS, minAttemptMs: MIN_ATTEMPT_MS,
    // a new run each start: the intents an earlier run of this coordinator held pass to it at once
    holder: leaseHolder(`orders:${options.site ?? 'central'}`, randomUUID()),
  });
  // this site's copy of the client directory (cluster/logical-copies.ts), unless told to read the coordinator's
  const directoryPool = options.site ? new FollowingPool(topology, options.site, { target: 'primary', applicationName: 'teranga-orders-directory', max: 5 }) : null;
  const localDirectory = directoryPool ? createKysely<CoordinatorDatabase>(directoryPool) : undefined;
  const orders = new OrderService({ db, sites, driver, maxAttempts, concurrency, orderBudgetMs: options.orderBudgetMs, localDirectory, site: options.site });
  const recovery = startRecoveryLoop(
    { sites, driver, db, timeoutMs: options.inDoubtTimeoutMs ?? 10_000, decisionRetentionMs: options.decisionRetentionMs ?? 600_000, log },
    options.recoveryIntervalMs ?? 5_000,
  );

  const server = await createSubgraphServer<OrdersContext>({
    name: 'orders',
    typeDefs: parse(readFileSync(path.join(topology.root, 'schema', 'orders.graphql'), 'utf8')),
    resolvers: ordersResolvers,
    context: async ({ req, res }) => ({ orders, principal: principalOf(res), deadlineAt: deadlineFrom(req.headers[DEADLINE_HEADER]) }),
    auth: { tokenVerifier: options.tokenVerifier, internalSecret: options.config.internalSecret },
    logger,
    metrics: replicationMetrics(db, 'coordinator'),
    ready: async () => {
      await pool.query('SELECT 1');
    },
    routes: (app) => {
      // the operator's endpoints, known or not, answer only the internal secret's holder
      app.use('/internal', (req, res, next) => {
        if (isInternalCaller(req.headers, options.config.internalSecret)) return next();
        res.status(403).json({ error: { code: 'FORBIDDEN', message: 'internal endpoint' } });
      });
      app.post('/internal/client-sites', express.json({ limit: '100kb' }), async (req, res) => {
        const ids: unknown = req.body?.ids;
        if (!Array.isArray(ids) || ids.length > 1000) {
          res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: 'ids must be an array of at most 1000 ids' } });
          return;
        }
        const numeric = ids.map((id) => (typeof id === 'string' && /^\d{1,10}$/.test(id) ? Number(id) : null));
        const known = await sitesOfClients(localDirectory ?? db, numeric.filter((n): n is number => n !== null && n <= 2_147_483_647));
        res.json({ sites: Object.fromEntries(ids.map((id, i) => [String(id), known.get(numeric[i] ?? -1) ?? null])) });
      });
      app.post('/internal/recover', async (_req, res) => {
        res.json(await recovery.runNow());
      });
      // recovery's settings, read and changed on the running coordinator (no restart, no lost state)
      app.get('/internal/recovery', (_req, res) => {
        res.json(recovery.settings());
      });
      app.post('/internal/recovery', express.json({ limit: '1kb' }), (req, res) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const change: { inDoubtTimeoutMs?: number; intervalMs?: number } = {};
        for (const [field, min] of [['inDoubtTimeoutMs', 0], ['intervalMs', 100]] as const) {
          const value = body[field];
          if (value === undefined) continue;
          if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 86_400_000) {
            res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: `${field} must be a whole number of milliseconds from ${min} to 86400000` } });
            return;
          }
          change[field] = value;
        }
        res.json(recovery.configure(change));
      });
      const arm = options.faults.arm;
      if (arm) {
        app.post('/internal/fault', express.json({ limit: '1kb' }), (req, res) => {
          try {
            arm(String((req.body as { point?: unknown } | undefined)?.point ?? ''));
          } catch (error) {
            res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: (error as Error).message } });
            return;
          }
          res.json({ armed: (req.body as { point: string }).point });
        });
      }
      app.get('/internal/concurrency', (_req, res) => {
        res.json({ strategy: orders.concurrency, ...orders.stats });
      });
      // the strategy switched on the running coordinator, as recovery's settings are (no restart)
      app.post('/internal/concurrency', express.json({ limit: '1kb' }), (req, res) => {
        const strategy = (req.body as { strategy?: unknown } | undefined)?.strategy;
        if (typeof strategy !== 'string' || !(CONCURRENCY_STRATEGIES as readonly string[]).includes(strategy)) {
          res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: `strategy must be one of ${CONCURRENCY_STRATEGIES.join(', ')}` } });
          return;
        }
        orders.setConcurrency(strategy as ConcurrencyStrategy);
        log('concurrency strategy switched', { strategy });
        res.json({ strategy: orders.concurrency, ...orders.stats });
      });
    },
    onStop: async () => {
      recovery.stop();
      await Promise.all([db.destroy(), localDirectory?.destroy()]);
    },
  });
  // Resolve what a previous run left prepared before taking new orders. Nothing listens yet, and
  // a call's timeout (AbortSignal.timeout) keeps no process alive: a call whose connection was lost
  // without a word would let the process exit here instead of timing out, so something holds it.
  const holding = setInterval(() => {}, 60_000);
  try {
    await recovery.runNow().catch((error: Error) => log('initial recovery failed', { error: error.message }));
  } finally {
    clearInterval(holding);
  }
  return Object.assign(server, { recovery });
}
