/**
 * Orders as a customer places them, straight at the coordinator or through the gateway, and the
 * coordinator's internal endpoints (recovery, attempt counters); restarts with test settings.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { stopService, up } from '../../cluster/cluster.ts';
import { connectionString, type ServiceName } from '../../lib/topology.ts';
import { leaseHolder } from '../../lib/twopc/intent.ts';
import { graphql, internalHeaders, serverNamed, serviceUrl, topology } from './cluster.ts';
import { asCustomer } from './tokens.ts';

export type Item = { productId: string; quantity: number };
export interface PlaceOrderInput {
  clientId: string;
  items: Item[];
  idempotencyKey?: string;
  paymentMethod?: string;
}
export interface PlaceOrderAnswer {
  order: { id: string; site: string } | null;
  error: { code: string; message: string; productId: string | null; available: number | null } | null;
}

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id site } error { code message productId available } }
}`;

export async function placeOrderAt(url: string, input: PlaceOrderInput) {
  return graphql<{ placeOrder: PlaceOrderAnswer }>(PLACE_ORDER, { i: input }, { url, headers: await asCustomer(input.clientId) });
}

/** Placed at the coordinator; a GraphQL error fails the test. */
export async function placeOrder(input: PlaceOrderInput): Promise<PlaceOrderAnswer> {
  const response = await placeOrderAt(serviceUrl('orders'), input);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.placeOrder;
}

const ordersBase = () => serviceUrl('orders').replace('/graphql', '');

export async function recoverNow(): Promise<Record<string, unknown>> {
  const response = await fetch(`${ordersBase()}/internal/recover`, { method: 'POST', headers: internalHeaders() });
  return (await response.json()) as Record<string, unknown>;
}

export async function attemptStats(): Promise<{ orders: number; attempts: number; conflicts: number; committed: number }> {
  const response = await fetch(`${ordersBase()}/internal/concurrency`, { headers: internalHeaders() });
  return (await response.json()) as { orders: number; attempts: number; conflicts: number; committed: number };
}

/** The test cluster's default service settings (see orders.e2e.ts), plus the provider's test settings. */
export const DEFAULT_ENV = { TERANGA_INDOUBT_TIMEOUT_MS: '500', TERANGA_RECOVERY_INTERVAL_MS: '500', TERANGA_PAYMENTS_TEST_SETTINGS: 'on', TERANGA_DECISION_RETENTION_MS: '7200000' };

/** Stops the named services and starts them again with `env` (every other service keeps running). */
export async function restart(names: ServiceName[], env: Record<string, string> = {}): Promise<void> {
  for (const name of names) await stopService(topology, name);
  await up(topology, { serviceEnv: { ...DEFAULT_ENV, ...env } });
}

/** A session on one database server, held open by the test (to hold locks). */
export async function session(server: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: connectionString(topology, serverNamed(server)) });
  await client.connect();
  return client;
}

/** Sessions of `server` waiting for a lock, other than the caller's. */
export async function lockWaiters(server: string, like: string): Promise<number> {
  const c = await session(server);
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query ILIKE $1 AND pid <> pg_backend_pid()`,
      [like],
    );
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

/** Cancels the statements of `server` waiting for a lock whose text matches `like` (a message lost on its way); returns how many. */
export async function cancelLockWaiters(server: string, like: string): Promise<number> {
  const c = await session(server);
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query ILIKE $1 AND pid <> pg_backend_pid()) AS cancelled`,
      [like],
    );
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

/** Gives up an order whose intent a test recorded, as placeOrder does after its last attempt: nothing stays in flight. */
export async function finalizeIntent(site: string, orderId: string, code: string): Promise<string> {
  const response = await graphql<{ _finalizeOrder: string }>('mutation($r: String!) { _finalizeOrder(request: $r) }', {
    r: JSON.stringify({ orderId, code, message: 'given up by the test', voidPayment: false, reference: null }),
  }, { url: serviceUrl(`region-${site}` as ServiceName), headers: internalHeaders() });
  if (!response.data) throw new Error(`intent of ${orderId} not finalized: ${JSON.stringify(response.errors)}`);
  return response.data._finalizeOrder;
}

/** Records an order's intent at its client's site, as placeOrder does before any attempt (a decision requires it). */
/** The lease holder of the intents a test records by hand: no coordinator's run. */
export const TEST_HOLDER = leaseHolder('test', randomUUID());

export async function recordIntent(site: string, orderId: string, clientId: number, amount: number): Promise<void> {
  const response = await graphql<{ _beginOrder: string }>('mutation($i: String!) { _beginOrder(intent: $i) }', {
    i: JSON.stringify({ orderId, clientId, key: null, fingerprint: '0'.repeat(64), amount, method: 'CASH_ON_DELIVERY', leaseMs: 600_000, holder: TEST_HOLDER }),
  }, { url: serviceUrl(`region-${site}` as ServiceName), headers: internalHeaders() });
  const outcome = response.data ? (JSON.parse(response.data._beginOrder) as { outcome: string }).outcome : JSON.stringify(response.errors);
  if (outcome !== 'NEW') throw new Error(`intent of ${orderId} not recorded: ${outcome}`);
}
