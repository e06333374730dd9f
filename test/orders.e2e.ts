/**
 * placeOrder, cancelOrder and moveClient over real HTTP against the orders coordinator and the
 * real cluster: atomicity across warehouses, refusals that change nothing, idempotency, and
 * recovery from a coordinator crash at every step of two-phase commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../cluster/cluster.ts';
import { armFault, graphql, internalHeaders, recoverySettings, serviceUrl, sql, topology, type RecoverySettings } from './support/cluster.ts';
import { expectNothingPrepared, expectOrdersAtomic, expectStockConserved, fingerprint, preparedTransactions, stockAt } from './support/invariants.ts';
import { asAdmin, asCustomer } from './support/tokens.ts';
import { settledPayment } from './support/payments.ts';
import { until } from './support/until.ts';
import { randomUUID } from 'node:crypto';

interface PlaceOrderData {
  placeOrder: { order: { id: string; site: string } | null; error: { code: string; message: string; productId: string | null; available: number | null } | null };
}

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id site } error { code message productId available } }
}`;

type Item = { productId: string; quantity: number };

/** Placed straight at the coordinator, as the client themselves. */
async function placeOrder(input: { clientId: string; items: Item[]; idempotencyKey?: string; paymentMethod?: string }) {
  const response = await graphql<PlaceOrderData>(PLACE_ORDER, { i: input }, { url: serviceUrl('orders'), headers: await asCustomer(input.clientId) });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.placeOrder;
}

// recovery presumes a crashed coordinator's undecided shares dead after half a second
const QUICK_RECOVERY = { inDoubtTimeoutMs: 500, intervalMs: 500 };

/** Starts the crashed coordinator again, with quick recovery. */
async function restartOrders(): Promise<void> {
  await up(topology);
  await recoverySettings(QUICK_RECOVERY);
}

async function recoverNow(): Promise<{ committed: string[]; rolledBack: string[]; pending: string[] }> {
  const response = await fetch(serviceUrl('orders').replace('/graphql', '/internal/recover'), {
    method: 'POST',
    headers: internalHeaders(),
  });
  return (await response.json()) as { committed: string[]; rolledBack: string[]; pending: string[] };
}

let found: RecoverySettings;
beforeAll(async () => {
  found = await recoverySettings();
  await recoverySettings(QUICK_RECOVERY);
});
afterAll(async () => {
  await recoverySettings(found);
});

describe('placeOrder across warehouses', () => {
  it('commits an order drawing on all three warehouses at every site, with one captured payment', async () => {
    // product 108 (30 000 FCFA): 60 in all, split 30 Dakar / 18 Thiès / 12 Saint-Louis; client 1 is in Dakar
    const before = { dakar: await stockAt('dakar', 108), thies: await stockAt('thies', 108), sl: await stockAt('saint-louis', 108) };
    const result = await placeOrder({ clientId: '1', items: [{ productId: '108', quantity: before.dakar + before.thies + 2 }], paymentMethod: 'CARD' });
    expect(result.error).toBeNull();
    expect(result.order!.site).toBe('DAKAR');
    expect(await stockAt('dakar', 108)).toBe(0);
    expect(await stockAt('thies', 108)).toBe(0);
    expect(await stockAt('saint-louis', 108)).toBe(before.sl - 2);
    const lines = await sql<{ site: string; quantite: number; prix_unitaire: number }>('dakar', 'SELECT site, quantite, prix_unitaire FROM ligne_commande WHERE commande_id = $1 ORDER BY site', [result.order!.id]);
    expect(lines).toEqual([
      { site: 'dakar', quantite: before.dakar, prix_unitaire: 30000 },
      { site: 'saint-louis', quantite: 2, prix_unitaire: 30000 },
      { site: 'thies', quantite: before.thies, prix_unitaire: 30000 },
    ]);
    const [order] = await sql<{ total: number; gid: string | null }>('dakar', 'SELECT total, gid FROM commande WHERE id = $1', [result.order!.id]);
    expect(order!.total).toBe((before.dakar + before.thies + 2) * 30000);
    // the attempt's gid; the client's site holds its decision
    expect(order!.gid).toMatch(/^tg:order:[0-9a-f-]{36}:dakar$/);
    // captured by the site's relay once the provider acknowledged
    expect(await settledPayment('dakar', result.order!.id)).toBe('CAPTURE');
    const payments = await sql<{ statut: string; montant: number }>('dakar', 'SELECT statut, montant FROM paiement WHERE commande_id = $1', [result.order!.id]);
    expect(payments).toEqual([{ statut: 'CAPTURE', montant: order!.total }]);
    await expectNothingPrepared();
    await expectOrdersAtomic();
    await expectStockConserved();
  });

  it('serves a one-site order with one local transaction, no PREPARE, that records its decision', async () => {
    const result = await placeOrder({ clientId: '2', items: [{ productId: '101', quantity: 1 }] });
    expect(result.error).toBeNull();
    expect(result.order!.site).toBe('THIES');
    const [order] = await sql<{ gid: string }>('thies', 'SELECT gid FROM commande WHERE id = $1', [result.order!.id]);
    // a gid and a decision row, so that an unclear outcome can be settled by asking
    expect(order!.gid).toMatch(/^tg:order:[0-9a-f-]{36}:thies$/);
    const decisions = await sql('thies', 'SELECT decision FROM decision_2pc WHERE gid = $1', [order!.gid]);
    expect(decisions).toEqual([{ decision: 'COMMIT' }]);
    await expectNothingPrepared();
    const otherSites = await Promise.all(['dakar', 'saint-louis'].map((s) => sql(s, 'SELECT 1 FROM mouvement_stock WHERE commande_id = $1', [result.order!.id])));
    expect(otherSites.flat()).toEqual([]);
  });

  it('refuses an order with one short line with OUT_OF_STOCK and changes nothing anywhere', async () => {
    const before = await fingerprint();
    const result = await placeOrder({ clientId: '3', items: [{ productId: '101', quantity: 1 }, { productId: '107', quantity: 500 }] });
    expect(result.order).toBeNull();
    expect(result.error).toMatchObject({ code: 'OUT_OF_STOCK', productId: '107', available: 10 });
    expect(await fingerprint()).toBe(before);
  });

  it('refuses a declined payment and changes nothing', async () => {
    const before = await fingerprint();
    const result = await placeOrder({ clientId: '3', items: [{ productId: '104', quantity: 5 }], paymentMethod: 'WAVE' });
    expect(result.error?.code).toBe('PAYMENT_DECLINED');
    expect(await fingerprint()).toBe(before);
  });

  it.each([
    ['zero quantity', { clientId: '1', items: [{ productId: '101', quantity: 0 }] }, 'INVALID_QUANTITY'],
    ['negative quantity', { clientId: '1', items: [{ productId: '101', quantity: -3 }] }, 'INVALID_QUANTITY'],
    ['unknown product', { clientId: '1', items: [{ productId: '999999', quantity: 1 }] }, 'UNKNOWN_PRODUCT'],
    ['non-numeric product', { clientId: '1', items: [{ productId: "1'; DROP TABLE stock; --", quantity: 1 }] }, 'UNKNOWN_PRODUCT'],
    ['unknown client', { clientId: '424242', items: [{ productId: '101', quantity: 1 }] }, 'UNKNOWN_CLIENT'],
    ['no items', { clientId: '1', items: [] }, 'INVALID_QUANTITY'],
  ])('refuses %s with a stable code and changes nothing', async (_name, input, code) => {
    const before = await fingerprint();
    const result = await placeOrder(input);
    expect(result.error?.code).toBe(code);
    expect(await fingerprint()).toBe(before);
  });

  it('returns the same order for the same idempotency key, also when two calls race, and charges once', async () => {
    const input = { clientId: '4', items: [{ productId: '103', quantity: 2 }], idempotencyKey: `race-${Date.now()}`, paymentMethod: 'ORANGE_MONEY' };
    const [a, b] = await Promise.all([placeOrder(input), placeOrder(input)]);
    const c = await placeOrder(input);
    expect(a.order?.id).toBeDefined();
    expect(b.order?.id).toBe(a.order!.id);
    expect(c.order?.id).toBe(a.order!.id);
    const orders = await sql('dakar', 'SELECT id FROM commande WHERE client_id = 4 AND idempotency_key = $1', [input.idempotencyKey]);
    expect(orders).toHaveLength(1);
    const payments = await sql('dakar', 'SELECT 1 FROM paiement WHERE commande_id = $1', [a.order!.id]);
    expect(payments).toHaveLength(1);
    await expectOrdersAtomic();
    await expectStockConserved();
  });
});

describe('cancelOrder and moveClient', () => {
  it('cancelOrder restores the stock at every warehouse and refunds, atomically', async () => {
    const before = { dakar: await stockAt('dakar', 105), thies: await stockAt('thies', 105) };
    const placed = await placeOrder({ clientId: '8', items: [{ productId: '105', quantity: before.dakar + 3 }] });
    expect(placed.error).toBeNull();
    expect(await stockAt('dakar', 105)).toBe(0);
    const cancelled = await graphql<{ cancelOrder: { id: string; site: string } }>(
      'mutation($id: ID!) { cancelOrder(id: $id) { id site } }', { id: placed.order!.id }, { url: serviceUrl('orders'), headers: await asCustomer('8') });
    expect(cancelled.errors).toBeUndefined();
    expect(await stockAt('dakar', 105)).toBe(before.dakar);
    expect(await stockAt('thies', 105)).toBe(before.thies);
    const [order] = await sql<{ statut: string }>('dakar', 'SELECT statut FROM commande WHERE id = $1', [placed.order!.id]);
    expect(order!.statut).toBe('ANNULEE');
    // refunded by the relay, after the capture
    expect(await settledPayment('dakar', placed.order!.id)).toBe('REMBOURSE');
    const again = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed.order!.id }, { url: serviceUrl('orders'), headers: await asCustomer('8') });
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await expectStockConserved();
    await expectNothingPrepared();
  });

  it('cancelOrder of a one-site order is one local transaction with a gid and a decision record', async () => {
    const before = await stockAt('thies', 101);
    const placed = await placeOrder({ clientId: '2', items: [{ productId: '101', quantity: 1 }] });
    expect(placed.error).toBeNull();
    const cancels = async () => (await sql<{ n: number }>('thies', "SELECT count(*)::int AS n FROM decision_2pc WHERE decision = 'COMMIT' AND gid LIKE 'tg:cancel:%:thies'"))[0]!.n;
    const recorded = await cancels();
    const cancelled = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed.order!.id }, { url: serviceUrl('orders'), headers: await asCustomer('2') });
    expect(cancelled.errors).toBeUndefined();
    expect(await stockAt('thies', 101)).toBe(before);
    // an unclear answer of the site could be settled by asking, as for an order
    expect(await cancels()).toBe(recorded + 1);
    await expectNothingPrepared();
    await expectStockConserved();
  });

  it('moveClient moves a Dakar client and their orders to Saint-Louis atomically', async () => {
    const registered = await graphql<{ registerClient: { id: string } }>(
      'mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Pape Ndoye', city: 'Pikine', email: `pndoye.${Date.now()}@example.com` } }, { url: serviceUrl('orders') });
    const clientId = registered.data!.registerClient.id;
    const placed = await placeOrder({ clientId, items: [{ productId: '101', quantity: 1 }] });
    expect(placed.error).toBeNull();
    const home = await sql<{ site: string }>('coordinator', 'SELECT site FROM client_site WHERE client_id = $1', [clientId]);
    const from = home[0]!.site;
    expect(from).toBe('dakar');
    const moved = await graphql<{ moveClient: { id: string } }>(
      'mutation($id: ID!) { moveClient(id: $id, city: "Saint-Louis") { id } }', { id: clientId }, { url: serviceUrl('orders'), headers: await asAdmin() });
    expect(moved.errors).toBeUndefined();
    expect(await sql(from, 'SELECT 1 FROM client WHERE id = $1', [clientId])).toEqual([]);
    expect(await sql(from, 'SELECT 1 FROM commande WHERE client_id = $1', [clientId])).toEqual([]);
    const [client] = await sql<{ ville: string }>('saint-louis', 'SELECT ville FROM client WHERE id = $1', [clientId]);
    expect(client!.ville).toBe('Saint-Louis');
    const orders = await sql<{ id: string }>('saint-louis', 'SELECT id FROM commande WHERE client_id = $1', [clientId]);
    expect(orders.map((o) => o.id)).toContain(placed.order!.id);
    const [directory] = await sql<{ site: string }>('coordinator', 'SELECT site FROM client_site WHERE client_id = $1', [clientId]);
    expect(directory!.site).toBe('saint-louis');
    await expectNothingPrepared();
    await expectOrdersAtomic();
  });

  it('registerClient stores a Kaolack client at the site the placement table names', async () => {
    const email = `nouveau.${Date.now()}@example.com`;
    const response = await graphql<{ registerClient: { id: string } }>(
      'mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Ndeye Sarr', city: 'KAOLACK', email } }, { url: serviceUrl('orders') });
    expect(response.errors).toBeUndefined();
    const id = Number(response.data!.registerClient.id);
    const [row] = await sql<{ ville: string }>('thies', 'SELECT ville FROM client WHERE id = $1', [id]);
    expect(row!.ville).toBe('Kaolack');
    const duplicate = await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Autre', city: 'Dakar', email: email.toUpperCase() } }, { url: serviceUrl('orders') });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('DUPLICATE_EMAIL');
    expect(await sql('dakar', 'SELECT 1 FROM client WHERE lower(email) = lower($1)', [email])).toEqual([]);
  });
});

describe('recovery after a coordinator crash (presumed abort, decision at the client site)', () => {
  // client 1 is in Dakar; product 106 (25 → 13/7/5) draws on all three warehouses for 23 units
  const crashing = { clientId: '1', items: [{ productId: '106', quantity: 23 }] };

  it.each([
    ['after-prepare:1', 'rolled back'],
    ['after-prepare:2', 'rolled back'],
    ['after-decision', 'committed'],
    ['between-commits', 'committed'],
  ])('crash at %s: the order is %s everywhere after restart, nothing stays prepared', async (fault, expected) => {
    const ordersBefore = (await sql('dakar', 'SELECT id FROM commande WHERE client_id = 1')).length;
    const stockBefore = [await stockAt('dakar', 106), await stockAt('thies', 106), await stockAt('saint-louis', 106)];
    await armFault(fault);
    await expect(placeOrder(crashing)).rejects.toThrow();
    await restartOrders();
    let report = await recoverNow();
    for (let i = 0; i < 20 && (await preparedTransactions()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      report = await recoverNow();
    }
    expect(await preparedTransactions(), JSON.stringify(report)).toEqual([]);
    const ordersAfter = (await sql('dakar', 'SELECT id FROM commande WHERE client_id = 1')).length;
    const stockAfter = [await stockAt('dakar', 106), await stockAt('thies', 106), await stockAt('saint-louis', 106)];
    if (expected === 'committed') {
      expect(ordersAfter).toBe(ordersBefore + 1);
      expect(stockAfter.reduce((a, b) => a + b)).toBe(stockBefore.reduce((a, b) => a + b) - 23);
    } else {
      expect(ordersAfter).toBe(ordersBefore);
      expect(stockAfter).toEqual(stockBefore);
    }
    await expectOrdersAtomic();
    await expectStockConserved();
    if (expected === 'committed') {
      // give the stock back for the next scenario
      const [last] = await sql<{ id: string }>('dakar', 'SELECT id FROM commande WHERE client_id = 1 ORDER BY created_at DESC LIMIT 1');
      const cancelled = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: last!.id }, { url: serviceUrl('orders'), headers: await asAdmin() });
      expect(cancelled.errors).toBeUndefined();
    }
  });

  it('a customer who asks again once the coordinator is back is served at once: its new run takes over the lease the dead run held', async () => {
    const keyed = { ...crashing, idempotencyKey: `cle-${randomUUID()}` };
    await armFault('after-prepare:1');
    await expect(placeOrder(keyed)).rejects.toThrow();
    await restartOrders();
    // the crashed attempt's prepared share is rolled back first: its rows are free again
    await until('recovery to roll back the crashed attempt', async () => (await recoverNow()) && (await preparedTransactions()).length === 0);
    const [intent] = await sql<{ commande_id: string; statut: string; lease_ms: number }>('dakar',
      'SELECT commande_id, statut, extract(epoch from (bail - now())) * 1000 AS lease_ms FROM intention_commande WHERE client_id = 1 AND cle_idempotence = $1', [keyed.idempotencyKey]);
    // still PENDING under a live lease, which outlives the order's own deadline by a margin: waited
    // for, the retry would answer SITE_UNAVAILABLE ("pending") until the lease expired
    expect(intent!.statut).toBe('PENDING');
    expect(Number(intent!.lease_ms)).toBeGreaterThan(0);
    const again = await placeOrder(keyed);
    expect(again.error).toBeNull();
    expect(again.order!.id).toBe(intent!.commande_id);
    expect(await settledPayment('dakar', intent!.commande_id)).toBe('CAPTURE');
    await expectOrdersAtomic();
    await expectStockConserved();
    const cancelled = await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: intent!.commande_id }, { url: serviceUrl('orders'), headers: await asAdmin() });
    expect(cancelled.errors).toBeUndefined();
  });
});
