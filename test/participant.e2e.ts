/**
 * The 2PC participant API: internal only, and prepared transactions that survive a crash of
 * their PostgreSQL server are resolved by recovery from the decision at the decision site.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDataDir, up } from '../cluster/cluster.ts';
import { postmasterPid } from '../cluster/postgres-server.ts';
import { readState } from '../cluster/state.ts';
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { makeGid, type ParticipantWork } from '../lib/twopc/work.ts';
import { serverByName } from '../lib/topology.ts';
import { everyCoordinatorRecovery, graphql, internalHeaders, recoverySettings, serviceUrl, sql, topology } from './support/cluster.ts';
import { expectNothingPrepared, expectStockConserved, preparedTransactions, stockAt } from './support/invariants.ts';

const PREPARE = 'mutation($w: String!) { _prepare(work: $w) { ok code } }';

function stockWork(gid: string, productId: number, delta: number): ParticipantWork {
  return { gid, orderId: randomUUID(), motif: 'COMMANDE', stock: [{ productId, delta }] };
}

async function recoverNow(): Promise<void> {
  const response = await fetch(serviceUrl('orders').replace('/graphql', '/internal/recover'), { method: 'POST', headers: internalHeaders() });
  expect(response.status).toBe(200);
}

async function killPostgres(name: string): Promise<void> {
  const state = readState(topology)!;
  const pid = postmasterPid(serverDataDir(state.pgRoot, serverByName(topology, name)));
  expect(pid).not.toBeNull();
  process.kill(pid!, 'SIGKILL');
  for (let i = 0; i < 100 && postmasterPid(serverDataDir(state.pgRoot, serverByName(topology, name))); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilNoPrepared(): Promise<string[]> {
  for (let i = 0; i < 40; i++) {
    await recoverNow().catch(() => {});
    if ((await preparedTransactions()).length === 0) return [];
    await new Promise((r) => setTimeout(r, 250));
  }
  return preparedTransactions();
}

describe('participant API access', () => {
  it('is absent from the public schema and refused through the gateway', async () => {
    const response = await graphql(PREPARE, { w: '{}' });
    expect(response.errors?.[0]?.message).toMatch(/Cannot query field "_prepare"/);
    const inDoubt = await graphql('{ _inDoubt { gid } }');
    expect(inDoubt.errors?.[0]?.message).toMatch(/Cannot query field "_inDoubt"/);
  });

  it('refuses a direct call without the internal secret, or with a wrong one', async () => {
    const work = JSON.stringify(stockWork(makeGid('order', randomUUID(), 'dakar'), 101, -1));
    const none = await graphql(PREPARE, { w: work }, { url: serviceUrl('region-thies') });
    expect(none.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const wrong = await graphql(PREPARE, { w: work }, { url: serviceUrl('region-thies'), headers: { [INTERNAL_SECRET_HEADER]: 'not-the-secret-at-all' } });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await expectNothingPrepared();
  });

  it('validates the work it is given', async () => {
    const bad = await graphql(PREPARE, { w: JSON.stringify({ gid: "x'; DROP TABLE stock; --", stock: [] }) }, { url: serviceUrl('region-thies'), headers: internalHeaders() });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('prepared transactions across a crash of their server (kill -9)', () => {
  // The shares must survive until the test has seen them: no coordinator's recovery presumes
  // them dead meanwhile (every site's coordinator recovers every site's shares).
  let restore: () => Promise<void>;
  // One crash for both decisions: a share of each is prepared at Thiès (on two products, so that
  // neither waits for the other's row lock), Thiès is killed and started again, and recovery
  // resolves each as its decision site says.
  const cases = { COMMIT: { productId: 109, change: -2 }, ABORT: { productId: 110, change: 0 } } as const;
  const shares = new Map<keyof typeof cases, { gid: string; before: number }>();
  beforeAll(async () => {
    restore = await everyCoordinatorRecovery({ inDoubtTimeoutMs: 600_000 });
    for (const [decision, { productId }] of Object.entries(cases) as [keyof typeof cases, (typeof cases)[keyof typeof cases]][]) {
      const before = await stockAt('thies', productId);
      const gid = makeGid('order', randomUUID(), 'dakar');
      const prepared = await graphql<{ _prepare: { ok: boolean } }>(PREPARE, { w: JSON.stringify(stockWork(gid, productId, -2)) }, { url: serviceUrl('region-thies'), headers: internalHeaders() });
      expect(prepared.data?._prepare.ok).toBe(true);
      shares.set(decision, { gid, before });
    }

    await killPostgres('thies');
    await up(topology);
    const survived = await sql<{ gid: string }>('thies', 'SELECT gid FROM pg_prepared_xacts');
    expect(survived.map((r) => r.gid).sort()).toEqual([...shares.values()].map((s) => s.gid).sort());

    await sql('dakar', "INSERT INTO decision_2pc (gid, decision) VALUES ($1, 'COMMIT')", [shares.get('COMMIT')!.gid]);
    // recovery takes up a share once it is older than the in-doubt timeout (no coordinator is
    // still driving it): from now on, rather than after the default 10 s
    await recoverySettings({ inDoubtTimeoutMs: 0 });
    expect(await untilNoPrepared()).toEqual([]);
    await recoverySettings({ inDoubtTimeoutMs: 600_000 });
  });
  afterAll(() => restore());

  it.each(['COMMIT', 'ABORT'] as const)('a share prepared at Thiès before the crash is resolved after restart as the decision site says: %s', async (decision) => {
    const { productId, change } = cases[decision];
    const { gid, before } = shares.get(decision)!;
    expect(await stockAt('thies', productId)).toBe(before + change);
    const [recorded] = await sql<{ decision: string }>('dakar', 'SELECT decision FROM decision_2pc WHERE gid = $1', [gid]);
    expect(recorded!.decision).toBe(decision);
    if (decision === 'COMMIT') {
      // the test's own share has no order: take its ledger line back out so conservation stays checkable
      await sql('thies', 'UPDATE stock SET quantite = quantite + 2 WHERE produit_id = $1', [productId]);
      await sql('thies', 'DELETE FROM mouvement_stock WHERE produit_id = $1 AND delta = -2 AND commande_id NOT IN (SELECT commande_id FROM ligne_commande)', [productId]);
    }
    await expectStockConserved();
  });
});

describe('a PREPARE that reaches a site after its gid was decided (duplicated or late)', () => {
  // no coordinator's recovery may settle the test's share before the test does
  let restore: () => Promise<void>;
  beforeAll(async () => {
    restore = await everyCoordinatorRecovery({ inDoubtTimeoutMs: 600_000 });
  });
  afterAll(() => restore());

  const call = <T>(query: string, variables: Record<string, unknown>, site = 'region-thies') =>
    graphql<T>(query, variables, { url: serviceUrl(site as 'region-thies'), headers: internalHeaders() });

  it('is refused after COMMIT PREPARED of that gid: the share is not applied twice', async () => {
    const before = await stockAt('thies', 109);
    const gid = makeGid('order', randomUUID(), 'dakar');
    const work = JSON.stringify(stockWork(gid, 109, -1));
    const first = await call<{ _prepare: { ok: boolean } }>(PREPARE, { w: work });
    expect(first.data?._prepare.ok).toBe(true);
    await sql('dakar', "INSERT INTO decision_2pc (gid, decision) VALUES ($1, 'COMMIT')", [gid]);
    const committed = await call('mutation($gid: String!) { _commitPrepared(gid: $gid) }', { gid });
    expect(committed.errors).toBeUndefined();
    expect(await stockAt('thies', 109)).toBe(before - 1);

    const late = await call<{ _prepare: { ok: boolean; code: string | null } }>(PREPARE, { w: work });
    expect(late.errors).toBeUndefined();
    expect(late.data?._prepare).toEqual({ ok: false, code: 'ABORTED' });
    await expectNothingPrepared();
    expect(await stockAt('thies', 109)).toBe(before - 1);

    // the test's own share has no order: take its ledger line back out so conservation stays checkable
    await sql('thies', 'UPDATE stock SET quantite = quantite + 1 WHERE produit_id = 109');
    await sql('thies', "DELETE FROM mouvement_stock WHERE produit_id = 109 AND delta = -1 AND commande_id NOT IN (SELECT commande_id FROM ligne_commande)");
    await expectStockConserved();
  });

  it('is refused at a site that holds a decision for that gid (an ABORT fence at the decision site)', async () => {
    const before = await stockAt('thies', 109);
    const gid = makeGid('order', randomUUID(), 'thies');
    await sql('thies', "INSERT INTO decision_2pc (gid, decision) VALUES ($1, 'ABORT')", [gid]);
    const late = await call<{ _prepare: { ok: boolean; code: string | null } }>(PREPARE, { w: JSON.stringify(stockWork(gid, 109, -1)) });
    expect(late.data?._prepare).toEqual({ ok: false, code: 'ABORTED' });
    await expectNothingPrepared();
    expect(await stockAt('thies', 109)).toBe(before);
    await expectStockConserved();
  });
});
