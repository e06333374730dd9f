/**
 * The money defects of the order flow, each reproduced over real HTTP against the real cluster
 * (PostgreSQL, the sites, the coordinator, the payment provider): a keyed order retried after a
 * conflict, an in-doubt outcome, a one-site order that times out, an order committed during a
 * client move, recovery that waits for a timeout though the decision exists, misclassified
 * errors, deadlines that do not nest, decision rows never pruned, and an idempotency key reused
 * for another order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEADLINE_HEADER } from '../lib/deadline.ts';
import { armFault, everyCoordinatorRecovery, graphql, serviceUrl, sql } from './support/cluster.ts';
import { expectNothingPrepared, expectOrdersAtomic, expectStockConserved, preparedTransactions, stockAt } from './support/invariants.ts';
import { attemptStats, cancelLockWaiters, lockWaiters, placeOrder, placeOrderAt, recoverNow, restart, session } from './support/orders.ts';
import { normalProvider, paymentsOfOrder, setProviderBehaviour, settledPayment } from './support/payments.ts';
import { until } from './support/until.ts';
import { ownClient, ownProduct } from './support/fixtures.ts';
import { asAdmin, asCustomer } from './support/tokens.ts';

const key = () => `cle-${randomUUID()}`;

/** A coordinator that gives up on a site call after 2 s, a site that waits up to 20 s for a lock, an order budget that outlasts both. */
const SLOW_SITE = { TERANGA_PARTICIPANT_TIMEOUT_MS: '2000', TERANGA_LOCK_TIMEOUT_MS: '20000', TERANGA_ORDER_BUDGET_MS: '30000' };

async function intentOf(site: string, clientId: number, idempotencyKey: string) {
  const [row] = await sql<{ commande_id: string; statut: string; code_erreur: string | null }>(
    site, 'SELECT commande_id, statut, code_erreur FROM intention_commande WHERE client_id = $1 AND cle_idempotence = $2', [clientId, idempotencyKey]);
  return row ?? null;
}

async function ordersOfKey(site: string, clientId: number, idempotencyKey: string): Promise<string[]> {
  return (await sql<{ id: string }>(site, 'SELECT id FROM commande WHERE client_id = $1 AND idempotency_key = $2', [clientId, idempotencyKey])).map((r) => r.id);
}

afterAll(async () => {
  await normalProvider();
});

describe('defect 1: a keyed order retried after CONFLICT is paid', () => {
  it('authorizes once per order: the attempt that commits is captured, never voided', async () => {
    // client 1 (Dakar) orders more 121 than Dakar holds: Thiès must give its share
    const dakar = await stockAt('dakar', 121);
    const k = key();
    const held = await session('thies');
    try {
      await held.query('BEGIN');
      await held.query('SELECT quantite FROM stock WHERE produit_id = 121 FOR UPDATE');
      const before = (await attemptStats()).conflicts;
      const placing = placeOrder({ clientId: '1', items: [{ productId: '121', quantity: dakar + 1 }], idempotencyKey: k, paymentMethod: 'WAVE' });
      // the first attempt meets the held row and votes CONFLICT; the next one may go through
      await until('a conflicting attempt', async () => (await attemptStats()).conflicts > before);
      await held.query('COMMIT');
      const result = await placing;
      expect(result.error).toBeNull();
      const orderId = result.order!.id;
      expect(await settledPayment('dakar', orderId)).toBe('CAPTURE');
      const atProvider = await paymentsOfOrder(orderId);
      expect(atProvider.map((p) => p.status)).toEqual(['CAPTURED']);
      // a retry by the customer returns the same order, paid once
      const again = await placeOrder({ clientId: '1', items: [{ productId: '121', quantity: dakar + 1 }], idempotencyKey: k, paymentMethod: 'WAVE' });
      expect(again.error).toBeNull();
      expect(again.order?.id).toBe(orderId);
      expect(await paymentsOfOrder(orderId)).toHaveLength(1);
    } finally {
      await held.end();
    }
    await expectOrdersAtomic();
    await expectStockConserved();
  });
});

describe('defect 10 and idempotency: the same key for a different order', () => {
  it('is refused with IDEMPOTENCY_KEY_REUSED and changes nothing; the same order with its lines in another order is the same request', async () => {
    const k = key();
    const first = await placeOrder({ clientId: '4', items: [{ productId: '122', quantity: 1 }, { productId: '123', quantity: 2 }], idempotencyKey: k });
    expect(first.error).toBeNull();
    const same = await placeOrder({ clientId: '4', items: [{ productId: '123', quantity: 1 }, { productId: '122', quantity: 1 }, { productId: '123', quantity: 1 }], idempotencyKey: k });
    expect(same.order?.id).toBe(first.order!.id);
    const before = await stockAt('dakar', 122);
    const other = await placeOrder({ clientId: '4', items: [{ productId: '122', quantity: 5 }], idempotencyKey: k });
    expect(other.order).toBeNull();
    expect(other.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await stockAt('dakar', 122)).toBe(before);
    expect(await ordersOfKey('dakar', 4, k)).toEqual([first.order!.id]);
    const method = await placeOrder({ clientId: '4', items: [{ productId: '122', quantity: 1 }, { productId: '123', quantity: 2 }], idempotencyKey: k, paymentMethod: 'CARD' });
    expect(method.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('defects 2 and 3: an unclear outcome is settled by asking, never guessed', () => {
  // the coordinator waits 2 s for a site; the site waits up to 20 s for a row lock
  beforeAll(async () => {
    await restart(['orders', 'region-dakar'], SLOW_SITE);
  });
  afterAll(async () => {
    await restart(['orders', 'region-dakar']);
  });

  it('defect 3: a one-site order whose site answers too late is settled by asking: ABORT is recorded before the caller hears of the failure, and it never commits', async () => {
    // product 125 is ordered by no other suite: Dakar holds some, so the order is Dakar's alone
    const before = await stockAt('dakar', 125);
    expect(before).toBeGreaterThan(0);
    const k = key();
    const ordersBefore = await sql<{ n: number }>('dakar', 'SELECT count(*)::int AS n FROM commande WHERE client_id = 11');
    const aborts = async () => (await sql<{ n: number }>('dakar', "SELECT count(*)::int AS n FROM decision_2pc WHERE decision = 'ABORT' AND gid LIKE 'tg:order:%:dakar'"))[0]!.n;
    const abortsBefore = await aborts();
    const held = await session('dakar');
    try {
      await held.query('BEGIN');
      await held.query('SELECT quantite FROM stock WHERE produit_id = 125 FOR UPDATE');
      const result = await placeOrder({ clientId: '11', items: [{ productId: '125', quantity: 1 }], idempotencyKey: k });
      expect(result.order).toBeNull();
      expect(result.error?.code).toBe('SITE_UNAVAILABLE');
      // the site's share is still running (waiting for the row): the failure is not a guess, the
      // decision site recorded the attempt's ABORT before the caller was told
      expect(await lockWaiters('dakar', '%stock%')).toBeGreaterThan(0);
      expect(await aborts()).toBe(abortsBefore + 1);
      await held.query('COMMIT');
    } finally {
      await held.end();
    }
    // the site's transaction, released, meets the ABORT and rolls back
    await until('the site to finish the late share', async () => (await lockWaiters('dakar', '%stock%')) === 0);
    expect(await stockAt('dakar', 125)).toBe(before);
    expect(await sql<{ n: number }>('dakar', 'SELECT count(*)::int AS n FROM commande WHERE client_id = 11')).toEqual(ordersBefore);
    // the failure is final and consistent: intent FAILED, the authorization voided, and the
    // customer's retry with the key is told the same, with no second order
    const intent = await intentOf('dakar', 11, k);
    expect(intent).toMatchObject({ statut: 'FAILED', code_erreur: 'SITE_UNAVAILABLE' });
    await until('the void to reach the provider', async () => (await paymentsOfOrder(intent!.commande_id)).every((p) => p.status === 'VOIDED'));
    const again = await placeOrder({ clientId: '11', items: [{ productId: '125', quantity: 1 }], idempotencyKey: k });
    expect(again.error?.code).toBe('SITE_UNAVAILABLE');
    expect(await sql<{ n: number }>('dakar', 'SELECT count(*)::int AS n FROM commande WHERE client_id = 11')).toEqual(ordersBefore);
    await expectStockConserved();
  });

  it('defect 2: an in-doubt outcome voids nothing; the order commits and is captured, and a retry with the key returns it', async () => {
    const k = key();
    const held = await session('dakar');
    try {
      await held.query('BEGIN');
      // neither the decision nor the fence can be written until the test lets go
      await held.query('LOCK TABLE decision_2pc IN SHARE MODE');
      const result = await placeOrder({ clientId: '12', items: [{ productId: '131', quantity: 1 }], idempotencyKey: k });
      expect(result.order).toBeNull();
      expect(result.error?.code).toBe('SITE_UNAVAILABLE');
      expect(result.error?.message).toMatch(/retry with the same idempotency key/);
      // The coordinator's ABORT fence is still queued behind the lock, beside the late decision:
      // released together, either may win. Here the fence is lost on its way, as a message to a
      // slow site may be, so that the late decision alone meets the released table and commits.
      expect(await cancelLockWaiters('dakar', '%decision_2pc%on conflict%')).toBeGreaterThan(0);
      await until('the fence to be gone', async () => (await lockWaiters('dakar', '%decision_2pc%on conflict%')) === 0);
      expect(await lockWaiters('dakar', '%decision_2pc%')).toBeGreaterThan(0);
      await held.query('COMMIT');
    } finally {
      await held.end();
    }
    const intent = await until('the order to commit', async () => {
      const i = await intentOf('dakar', 12, k);
      return i?.statut === 'CONFIRMED' ? i : null;
    });
    expect(await settledPayment('dakar', intent.commande_id)).toBe('CAPTURE');
    expect((await paymentsOfOrder(intent.commande_id)).map((p) => p.status)).toEqual(['CAPTURED']);
    const again = await placeOrder({ clientId: '12', items: [{ productId: '131', quantity: 1 }], idempotencyKey: k });
    expect(again.order?.id).toBe(intent.commande_id);
    await expectOrdersAtomic();
  });
});

describe('defect 4: moveClient copies every order, also one committed during the move', () => {
  it('re-checks the export under the client’s row lock and starts over when it changed', async () => {
    // a client of its own: the seed's clients stay where the fragmentation checks expect them
    const registered = await graphql<{ registerClient: { id: string } }>('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Client Déménagement', city: 'Dakar', email: `move-${randomUUID()}@example.com` } }, { url: serviceUrl('orders'), headers: await asAdmin() });
    const clientId = Number(registered.data!.registerClient.id);
    const from = (await sql<{ site: string }>('coordinator', 'SELECT site FROM client_site WHERE client_id = $1', [clientId]))[0]!.site;
    expect(from).toBe('dakar');
    const held = await session('coordinator');
    let late: string;
    try {
      await held.query('BEGIN');
      // the move's directory update waits here, after it exported the client's orders
      await held.query('SELECT 1 FROM client_site WHERE client_id = $1 FOR UPDATE', [clientId]);
      const moving = graphql<{ moveClient: { id: string } }>(
        'mutation($id: ID!) { moveClient(id: $id, city: "Saint-Louis") { id } }', { id: String(clientId) }, { url: serviceUrl('orders'), headers: await asAdmin() });
      await until('the move to wait on the directory', async () => (await lockWaiters('coordinator', '%client_site%')) > 0);
      const order = await placeOrder({ clientId: String(clientId), items: [{ productId: '122', quantity: 1 }] });
      expect(order.error).toBeNull();
      late = order.order!.id;
      await held.query('COMMIT');
      const moved = await moving;
      expect(moved.errors).toBeUndefined();
    } finally {
      await held.end();
    }
    const copied = await sql<{ id: string }>('saint-louis', 'SELECT id FROM commande WHERE id = $1', [late!]);
    expect(copied).toEqual([{ id: late! }]);
    expect(await sql('dakar', 'SELECT 1 FROM commande WHERE client_id = $1', [clientId])).toEqual([]);
    await expectOrdersAtomic();
    await expectStockConserved();
  });
});

describe('defect 6: recovery applies an existing decision at once', () => {
  it('commits the shares of a decided order right after a coordinator restart, whatever the in-doubt timeout', async () => {
    // the other sites' coordinators would apply the decision too, on their own timers: paused, so
    // that only the restarted coordinator's start-up pass can end the prepared shares; what each
    // had is put back at the end, on the restarted one too
    onTestFinished(await everyCoordinatorRecovery({ intervalMs: 3_600_000, inDoubtTimeoutMs: 600_000 }));
    await armFault('after-decision');
    const dakar = await stockAt('dakar', 123);
    const k = key();
    // the coordinator dies right after the decision: the remote shares stay prepared
    const crashed = await placeOrderAt(serviceUrl('orders'), { clientId: '1', items: [{ productId: '123', quantity: dakar + 1 }], idempotencyKey: k, paymentMethod: 'CARD' }).catch((e: Error) => e.message);
    expect((await preparedTransactions()).length, JSON.stringify(crashed)).toBeGreaterThan(0);
    await restart(['orders'], { TERANGA_INDOUBT_TIMEOUT_MS: '600000', TERANGA_RECOVERY_INTERVAL_MS: '600000' });
    // the start-up pass asked the decision site and found COMMIT: nothing waits for 10 minutes
    await expectNothingPrepared();
    await expectOrdersAtomic();
    await expectStockConserved();
  });
});

describe('defect 7: errors keep their meaning', () => {
  afterAll(async () => {
    await sql('thies', 'DROP TRIGGER IF EXISTS test_panne ON mouvement_stock');
    await sql('dakar', 'DROP TRIGGER IF EXISTS test_panne ON client');
    for (const site of ['thies', 'dakar']) await sql(site, 'DROP FUNCTION IF EXISTS test_panne()');
  });

  it('a participant error during prepare is not a conflict and is not retried', async () => {
    await sql('thies', `CREATE FUNCTION test_panne() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.produit_id = 129 THEN RAISE EXCEPTION 'disk full (test)'; END IF; RETURN NEW; END $$`);
    await sql('thies', 'CREATE TRIGGER test_panne BEFORE INSERT ON mouvement_stock FOR EACH ROW EXECUTE FUNCTION test_panne()');
    const dakar = await stockAt('dakar', 129);
    const before = await attemptStats();
    const result = await placeOrder({ clientId: '1', items: [{ productId: '129', quantity: dakar + 1 }] });
    expect(result.error?.code).toBe('INTERNAL_SERVER_ERROR');
    const after = await attemptStats();
    expect(after.attempts - before.attempts).toBe(1);
    expect(await stockAt('dakar', 129)).toBe(dakar);
    await expectNothingPrepared();
  });

  it('registerClient reports a failure that is not a duplicate as such', async () => {
    await sql('dakar', `CREATE OR REPLACE FUNCTION test_panne() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'disk full (test)'; END $$`);
    await sql('dakar', 'CREATE TRIGGER test_panne BEFORE INSERT ON client FOR EACH ROW EXECUTE FUNCTION test_panne()');
    const response = await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Test Panne', city: 'Dakar', email: `panne-${randomUUID()}@example.com` } }, { url: serviceUrl('orders') });
    expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    await sql('dakar', 'DROP TRIGGER test_panne ON client');
    const email = `dup-${randomUUID()}@example.com`;
    await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }', { i: { name: 'Une', city: 'Dakar', email } }, { url: serviceUrl('orders') });
    const duplicate = await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }', { i: { name: 'Deux', city: 'Dakar', email } }, { url: serviceUrl('orders') });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('DUPLICATE_EMAIL');
  });

  it('cancelOrder while a site is down answers SITE_UNAVAILABLE, not NOT_FOUND', async () => {
    await restart([]);
    const { stopService } = await import('../cluster/cluster.ts');
    const { topology } = await import('./support/cluster.ts');
    await stopService(topology, 'region-saint-louis');
    try {
      const response = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: randomUUID() }, { url: serviceUrl('orders'), headers: await asAdmin() });
      expect(response.errors?.[0]?.extensions?.code).toBe('SITE_UNAVAILABLE');
    } finally {
      await restart([]);
    }
    const response = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: randomUUID() }, { url: serviceUrl('orders'), headers: await asAdmin() });
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('defect 8: one deadline from the gateway down', () => {
  // Dakar's gateway gives a subgraph 3 s here (15 s by default), so that waiting it out is short
  const GATEWAY_DEADLINE_MS = 3_000;
  afterAll(async () => {
    await normalProvider();
    await restart(['gateway']);
  });

  it('answers within the gateway’s deadline with a definite error, and nothing commits afterwards', async () => {
    await restart(['gateway'], { TERANGA_SUBGRAPH_TIMEOUT_MS: String(GATEWAY_DEADLINE_MS) });
    const k = key();
    // the provider answers after the gateway's deadline has passed
    await setProviderBehaviour({ delayMs: GATEWAY_DEADLINE_MS + 1_000 });
    const response = await graphql<{ placeOrder: { order: unknown; error: { code: string } | null } }>(
      'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }',
      { i: { clientId: '8', items: [{ productId: '123', quantity: 1 }], idempotencyKey: k } },
      { headers: await asCustomer('8') },
    );
    await normalProvider();
    // the orders service answered, not the gateway's timeout
    expect(response.errors).toBeUndefined();
    expect(response.data?.placeOrder.error?.code).toBe('PAYMENT_UNAVAILABLE');
    const intent = (await intentOf('dakar', 8, k))!;
    expect(intent.statut).toBe('FAILED');
    // the late authorization is voided (the relay repeats it with the order's key, then voids it)
    await until('the authorization to be voided', async () => (await paymentsOfOrder(intent.commande_id)).every((p) => p.status === 'VOIDED') && (await paymentsOfOrder(intent.commande_id)).length > 0, { withinMs: 60_000 });
    expect(await ordersOfKey('dakar', 8, k)).toEqual([]);
  }, 90_000);

  it('hands the remaining budget to the sites: a deadline already passed commits nothing', async () => {
    const before = await stockAt('dakar', 123);
    const response = await graphql<{ placeOrder: { order: unknown; error: { code: string } | null } }>(
      'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code } } }',
      { i: { clientId: '8', items: [{ productId: '123', quantity: 1 }] } },
      { url: serviceUrl('orders'), headers: { ...(await asCustomer('8')), [DEADLINE_HEADER]: String(Date.now() + 1_000) } },
    );
    expect(response.data?.placeOrder.order).toBeNull();
    expect(await stockAt('dakar', 123)).toBe(before);
  });
});

describe('defect 9: decision rows are pruned once every participant acknowledged', () => {
  it('deletes an old decision no site holds prepared, keeps a recent one', async () => {
    const client = await ownClient('Dakar', 'prune');
    // one unit at Dakar and more at Thiès: an order of two is distributed, so it leaves a decision row
    const product = await ownProduct({ dakar: 1, thies: 5 }, 10_000, 'prune');
    const result = await placeOrder({ clientId: client.id, items: [{ productId: String(product.id), quantity: 2 }] });
    expect(result.error).toBeNull();
    const [order] = await sql<{ gid: string }>('dakar', 'SELECT gid FROM commande WHERE id = $1', [result.order!.id]);
    const recent = await placeOrder({ clientId: client.id, items: [{ productId: String(product.id), quantity: 2 }] });
    expect(recent.error).toBeNull();
    const [recentOrder] = await sql<{ gid: string }>('dakar', 'SELECT gid FROM commande WHERE id = $1', [recent.order!.id]);
    await sql('dakar', `UPDATE decision_2pc SET decided_at = now() - interval '1 day' WHERE gid = $1`, [order!.gid]);
    // every site's coordinator prunes on its own recovery pass, so the pass that deletes the row may
    // be another's than the one asked for here: what counts is that the old row goes, the recent stays
    await recoverNow();
    await until('the old decision to be pruned', async () => (await sql('dakar', 'SELECT 1 FROM decision_2pc WHERE gid = $1', [order!.gid])).length === 0, { withinMs: 10_000 });
    expect(await sql('dakar', 'SELECT decision FROM decision_2pc WHERE gid = $1', [recentOrder!.gid])).toEqual([{ decision: 'COMMIT' }]);
  });
});
