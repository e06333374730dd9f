/**
 * Streaming replication and failover on the real cluster (case study, task 5): every primary
 * streams to its standby synchronously; reads that may lag go to standbys without missing a
 * process's own writes; a primary killed with kill -9 is replaced by its promoted standby without
 * losing an acknowledged order or a prepared transaction; the old primary is rebuilt as a standby.
 *
 * The failover scenario moves dakar's primary to dakar-standby; the file fails back at its end so
 * that the suites after it find the original roles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDataDir, up } from '../cluster/cluster.ts';
import { copiesResubscribed, failover } from '../cluster/failover.ts';
import { postmasterPid } from '../cluster/postgres-server.ts';
import { rebuildStandby } from '../cluster/rebuild-standby.ts';
import { readState } from '../cluster/state.ts';
import { clusterStatus } from '../cluster/status.ts';
import { createDatabasePools } from '../lib/db/database-pools.ts';
import { makeGid, type ParticipantWork } from '../lib/twopc/work.ts';
import { connectionString, DATABASE_ROLES, primaryOf, serverByName, standbyOf, type DatabaseRole } from '../lib/topology.ts';
import { everyCoordinatorRecovery, gatewayOrigin, graphql, internalHeaders, serviceUrl, sql, topology } from './support/cluster.ts';
import { expectNothingPrepared, expectOrdersAtomic, expectStockConserved, preparedTransactions, stockAt } from './support/invariants.ts';
import { asAdmin, asCustomer } from './support/tokens.ts';
import { until } from './support/until.ts';
import { TEST_HOLDER } from './support/orders.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQL on the server of this name, whatever its role now (support's sql() follows a database's primary). */
async function sqlOn<T extends pg.QueryResultRow = Record<string, unknown>>(server: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: connectionString(topology, serverByName(topology, server)) });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** A row of each database that an `UPDATE … SET x = x` may touch without changing anything it means. */
const PROBES: Record<DatabaseRole, { table: string; column: string; key: string }> = {
  products: { table: 'produit', column: 'nom', key: 'id' },
  dakar: { table: 'client', column: 'nom', key: 'id' },
  thies: { table: 'client', column: 'nom', key: 'id' },
  'saint-louis': { table: 'client', column: 'nom', key: 'id' },
  coordinator: { table: 'client_site', column: 'site', key: 'client_id' },
  // the provider's ledger may be empty: its migration record always has a row
  payments: { table: 'teranga_migration', column: 'checksum', key: 'name' },
};

async function recoverNow(): Promise<void> {
  await fetch(serviceUrl('orders').replace('/graphql', '/internal/recover'), { method: 'POST', headers: internalHeaders() });
}

describe('streaming replication', () => {
  it('applies a commit on every primary to its standby before the commit returns, and the standby refuses writes', async () => {
    for (const database of DATABASE_ROLES) {
      const { table, column, key } = PROBES[database];
      const primary = primaryOf(topology, database).name;
      const standby = standbyOf(topology, database).name;
      const [row] = await sqlOn<{ k: number; xmin: string }>(
        primary,
        `UPDATE ${table} SET ${column} = ${column} WHERE ${key} = (SELECT min(${key}) FROM ${table}) RETURNING ${key} AS k, xmin::text`,
      );
      // synchronous_commit = remote_apply: no waiting, the standby has it already
      const [replica] = await sqlOn<{ xmin: string }>(standby, `SELECT xmin::text FROM ${table} WHERE ${key} = $1`, [row!.k]);
      expect(replica?.xmin, database).toBe(row!.xmin);
      await expect(sqlOn(standby, `UPDATE ${table} SET ${column} = ${column}`), database).rejects.toThrow(/read-only transaction/);
    }
  });

  it('streams every standby through its own slot, synchronously, with remote_apply commits', async () => {
    for (const database of DATABASE_ROLES) {
      const primary = primaryOf(topology, database).name;
      const standby = standbyOf(topology, database).name;
      const [repl] = await sqlOn<{ state: string; sync_state: string }>(primary, 'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1', [standby]);
      expect(repl, database).toEqual({ state: 'streaming', sync_state: 'sync' });
      const [slot] = await sqlOn<{ active: boolean }>(primary, 'SELECT active FROM pg_replication_slots WHERE slot_name = $1', [standby.replace(/-/g, '_')]);
      expect(slot?.active, database).toBe(true);
      const [setting] = await sqlOn<{ synchronous_commit: string }>(primary, 'SHOW synchronous_commit');
      expect(setting!.synchronous_commit).toBe('remote_apply');
    }
  });

  it('switches a running cluster to asynchronous replication and back (`up --async-replication`)', async () => {
    const modeOf = async (database: DatabaseRole) => {
      const primary = primaryOf(topology, database).name;
      const [names] = await sqlOn<{ synchronous_standby_names: string }>(primary, 'SHOW synchronous_standby_names');
      // the standby's walsender: a site's primary also feeds the logical copies of the other sites
      const [repl] = await sqlOn<{ sync_state: string }>(primary, 'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1', [standbyOf(topology, database).name]);
      return `${names!.synchronous_standby_names}|${repl?.sync_state}`;
    };
    try {
      await up(topology, { synchronous: false });
      expect(readState(topology)!.synchronous).toBe(false);
      for (const database of DATABASE_ROLES) await until(`${database} asynchronous`, async () => (await modeOf(database)) === '|async');
    } finally {
      await up(topology, { synchronous: true });
    }
    expect(readState(topology)!.synchronous).toBe(true);
    for (const database of DATABASE_ROLES) {
      const standby = standbyOf(topology, database).name;
      let seen = '';
      await until(`${database} synchronous`, async () => (seen = await modeOf(database)) === `"${standby}"|sync`).catch((error: Error) => {
        throw new Error(`${error.message} (synchronous_standby_names|sync_state last seen: ${seen})`);
      });
    }
  });
});

describe('reads from standbys', () => {
  it('serves the stock shown to clients from the standby, through its own pool', async () => {
    const response = await fetch(`${gatewayOrigin()}/api/products/101`);
    expect(response.status).toBe(200);
    const sessions = await sqlOn<{ n: number }>('dakar-standby', "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'teranga-region-dakar-read'");
    expect(sessions[0]!.n).toBeGreaterThan(0);
  });

  it("reads a process's own writes even from a lagging standby, and only those from the primary", async () => {
    const pools = createDatabasePools(topology, 'thies', { applicationName: 'teranga-test-ryw', laggingCooldownMs: 0 });
    const theirs = `repl-theirs-${randomUUID()}`;
    const ours = `repl-ours-${randomUUID()}`;
    const count = async (gid: string) => {
      const client = await pools.replica.connect();
      try {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM decision_2pc WHERE gid = $1', [gid]);
        return { n: rows[0]!.n, server: pools.replica.servedBy(client)?.server.name };
      } finally {
        client.release();
      }
    };
    try {
      expect((await count(theirs)).server).toBe('thies-standby');
      await sqlOn('thies-standby', 'SELECT pg_wal_replay_pause()');
      try {
        // local commits: a synchronous one would wait for the paused standby
        await sqlOn('thies', `BEGIN; SET LOCAL synchronous_commit = local; INSERT INTO decision_2pc (gid, decision) VALUES ('${theirs}', 'ABORT'); COMMIT`);
        // another process's write: not there yet, and the read really went to the standby
        expect(await count(theirs)).toEqual({ n: 0, server: 'thies-standby' });

        const writer = await pools.primary.connect();
        try {
          await writer.query('BEGIN');
          await writer.query("SET LOCAL synchronous_commit = local");
          await writer.query("INSERT INTO decision_2pc (gid, decision) VALUES ($1, 'ABORT')", [ours]);
          await writer.query('COMMIT');
        } finally {
          writer.release();
        }
        // this process's own write: the standby has not replayed it, so the primary answers
        expect(await count(ours)).toEqual({ n: 1, server: 'thies' });
      } finally {
        await sqlOn('thies-standby', 'SELECT pg_wal_replay_resume()');
      }
      // caught up: back to the standby, which now has both
      const after = await until('the standby to be read again', async () => {
        const seen = await count(ours);
        return seen.server === 'thies-standby' ? seen : null;
      });
      expect(after.n).toBe(1);
    } finally {
      await sql('thies', 'DELETE FROM decision_2pc WHERE gid = ANY($1)', [[theirs, ours]]);
      await Promise.all([pools.replica.end(), pools.primary.end()]);
    }
  });
});

interface Ack {
  readonly id: string;
  readonly at: number;
}

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id site } error { code message } } }`;

/** Places orders of one unit for each client, one after another, until stopped; collects the acknowledged ones. */
function orderFlow(clients: readonly string[], productId: string) {
  const acks: Ack[] = [];
  const refusals: string[] = [];
  let stopped = false;
  const done = Promise.all(
    clients.map(async (clientId) => {
      const headers = await asCustomer(clientId);
      for (let n = 0; !stopped; n++) {
        try {
          const response = await graphql<{ placeOrder: { order: { id: string } | null; error: { code: string } | null } }>(
            PLACE_ORDER,
            { i: { clientId, items: [{ productId, quantity: 1 }], idempotencyKey: `failover-${clientId}-${n}-${randomUUID()}` } },
            { url: serviceUrl('orders'), headers },
          );
          const order = response.data?.placeOrder.order;
          if (order) acks.push({ id: order.id, at: Date.now() });
          else refusals.push(response.data?.placeOrder.error?.code ?? response.errors?.[0]?.message ?? `HTTP ${response.status}`);
        } catch (error) {
          refusals.push((error as Error).message);
          await sleep(50);
        }
      }
    }),
  );
  return {
    acks,
    refusals,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const PREPARE = 'mutation($w: String!) { _prepare(work: $w) { ok code message } }';
const COMMIT_LOCAL = 'mutation($w: String!) { _commitLocal(work: $w) { ok code message } }';

async function participant(site: 'dakar' | 'thies', mutation: string, work: ParticipantWork): Promise<void> {
  const response = await graphql<Record<string, { ok: boolean; message: string | null }>>(mutation, { w: JSON.stringify(work) }, { url: serviceUrl(`region-${site}`), headers: internalHeaders() });
  const vote = Object.values(response.data ?? {})[0];
  expect(vote?.ok, JSON.stringify(response.errors ?? vote)).toBe(true);
}

describe('failover of the Dakar primary (kill -9, promotion, rebuild, fail back)', () => {
  // dakar clients order product 154, restocked first; the prepared shares hold 157 and 160 at Dakar
  const DAKAR_CLIENTS = ['1', '4', '8'];
  const undecided = { orderId: randomUUID(), gid: '' };
  const decided = { orderId: randomUUID(), gid: '' };
  let beforeCrash: Ack[] = [];
  let afterFailover: Ack[] = [];
  let allAcks: Ack[] = [];
  let inheritedPrepared: string[] = [];
  let failedBack = false;
  let restoreRecovery: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // recovery resolves only when asked (interval far away), and finds anything prepared old enough;
    // every site's coordinator, as each one's recovery loop settles the prepared shares of every site
    restoreRecovery = await everyCoordinatorRecovery({ inDoubtTimeoutMs: 500, intervalMs: 600_000 });
    const restocked = await graphql('mutation { restock(productId: "154", site: DAKAR, quantity: 300) { quantity } }', {}, { headers: await asAdmin() });
    expect(restocked.errors, JSON.stringify(restocked.errors)).toBeUndefined();

    // at crash time Dakar holds a prepared share without a decision, and one whose decision (at Thiès) is COMMIT
    undecided.gid = makeGid('order', undecided.orderId, 'thies');
    await participant('dakar', PREPARE, { gid: undecided.gid, orderId: undecided.orderId, motif: 'COMMANDE', stock: [{ productId: 157, delta: -1 }] });
    decided.gid = makeGid('order', decided.orderId, 'thies');
    const prix = (await sql<{ prix: number }>('products', 'SELECT prix FROM produit WHERE id = 160'))[0]!.prix;
    await participant('dakar', PREPARE, { gid: decided.gid, orderId: decided.orderId, motif: 'COMMANDE', stock: [{ productId: 160, delta: -1 }] });
    // a decision transaction confirms the order's intent, recorded first at the client's site
    const intent = await graphql<{ _beginOrder: string }>('mutation($i: String!) { _beginOrder(intent: $i) }', {
      i: JSON.stringify({ orderId: decided.orderId, clientId: 2, key: null, fingerprint: '0'.repeat(64), amount: prix, method: 'CASH_ON_DELIVERY', leaseMs: 600_000, holder: TEST_HOLDER }),
    }, { url: serviceUrl('region-thies'), headers: internalHeaders() });
    expect(JSON.parse(intent.data!._beginOrder).outcome).toBe('NEW');
    await participant('thies', COMMIT_LOCAL, {
      gid: decided.gid,
      orderId: decided.orderId,
      motif: 'COMMANDE',
      stock: [],
      createOrder: {
        id: decided.orderId,
        clientId: 2,
        total: prix,
        idempotencyKey: null,
        payment: { method: 'CASH_ON_DELIVERY', reference: `failover-test-${decided.orderId}`, amount: prix },
        lines: [{ productId: 160, quantity: 1, unitPrice: prix, site: 'dakar' }],
      },
    });
    const prepared = await sqlOn<{ gid: string }>('dakar', 'SELECT gid FROM pg_prepared_xacts');
    expect(prepared.map((r) => r.gid).sort()).toEqual([undecided.gid, decided.gid].sort());

    const flow = orderFlow(DAKAR_CLIENTS, '154');
    try {
      await until('orders to flow', async () => flow.acks.length >= 10, { withinMs: 30_000 });
      const pid = postmasterPid(serverDataDir(readState(topology)!.pgRoot, 'dakar'));
      expect(pid).not.toBeNull();
      beforeCrash = [...flow.acks];
      process.kill(pid!, 'SIGKILL');
      await until('the Dakar postmaster to die', async () => postmasterPid(serverDataDir(readState(topology)!.pgRoot, 'dakar')) === null);
      const crashedAt = Date.now();
      await failover(topology, 'dakar');
      // the promoted standby inherited the prepared transactions before anything resolved them
      inheritedPrepared = (await sqlOn<{ gid: string }>('dakar-standby', 'SELECT gid FROM pg_prepared_xacts')).map((r) => r.gid);
      await until('orders to be acknowledged by the new primary', async () => flow.acks.filter((a) => a.at > crashedAt).length >= 5, { withinMs: 60_000 });
      afterFailover = flow.acks.filter((a) => a.at > crashedAt);
    } finally {
      await flow.stop();
    }
    allAcks = [...flow.acks];
    for (let i = 0; i < 40 && (await preparedTransactions()).length > 0; i++) {
      await recoverNow();
      await sleep(100);
    }
  });

  afterAll(async () => {
    // whatever happened above, leave dakar as the suites after this one expect it
    const state = readState(topology)!;
    if (!failedBack) {
      if (state.primaries.dakar === 'dakar-standby') {
        if (state.rebuildPending?.includes('dakar')) await rebuildStandby(topology, 'dakar');
        await failover(topology, 'dakar');
      }
      if (readState(topology)!.rebuildPending?.length) await rebuildStandby(topology, 'dakar');
    }
    await restoreRecovery?.();
    // the local copies follow the fail-back before the suites after this one read them
    await copiesResubscribed();
  });

  it('promotes dakar-standby, and status shows the new roles', async () => {
    expect(readState(topology)!.primaries.dakar).toBe('dakar-standby');
    const { servers } = await clusterStatus(topology);
    const byName = new Map(servers.map((s) => [s.name, s]));
    expect(byName.get('dakar-standby')?.role).toBe('primary');
    expect(byName.get('dakar')).toMatchObject({ role: 'down', rebuildPending: true });
  });

  it('keeps every order acknowledged before the crash', async () => {
    expect(beforeCrash.length).toBeGreaterThanOrEqual(10);
    const ids = allAcks.map((a) => a.id);
    const found = await sql<{ id: string }>('dakar', 'SELECT id FROM commande WHERE id = ANY($1::uuid[])', [ids]);
    const present = new Set(found.map((r) => r.id));
    expect(beforeCrash.filter((a) => !present.has(a.id))).toEqual([]);
    expect(allAcks.filter((a) => !present.has(a.id))).toEqual([]);
  });

  it('resolves the prepared transactions the promoted standby inherited: the undecided one rolled back, the decided one committed', async () => {
    expect(inheritedPrepared.sort()).toEqual([undecided.gid, decided.gid].sort());
    await expectNothingPrepared();
    expect(await sql('dakar', 'SELECT 1 FROM mouvement_stock WHERE commande_id = $1', [undecided.orderId])).toEqual([]);
    expect(await sql('dakar', 'SELECT delta FROM mouvement_stock WHERE commande_id = $1', [decided.orderId])).toEqual([{ delta: -1 }]);
    expect(await sql('thies', 'SELECT id FROM commande WHERE id = $1', [decided.orderId])).toEqual([{ id: decided.orderId }]);
  });

  it('conserves stock and keeps every order atomic across the failover', async () => {
    await expectStockConserved();
    await expectOrdersAtomic();
  });

  it('takes new orders for Dakar clients on the promoted standby', async () => {
    expect(afterFailover.length).toBeGreaterThanOrEqual(5);
    const before = await stockAt('dakar', 154);
    const response = await graphql<{ placeOrder: { order: { id: string; site: string } | null } }>(
      PLACE_ORDER, { i: { clientId: '4', items: [{ productId: '154', quantity: 1 }] } }, { url: serviceUrl('orders'), headers: await asCustomer('4') });
    expect(response.data?.placeOrder.order?.site).toBe('DAKAR');
    expect(await stockAt('dakar', 154)).toBe(before - 1);
    const [row] = await sqlOn<{ n: number }>('dakar-standby', 'SELECT count(*)::int AS n FROM commande WHERE id = $1', [response.data!.placeOrder.order!.id]);
    expect(row!.n).toBe(1);
  });

  it('rebuild-standby makes the old primary stream from the new one', async () => {
    await rebuildStandby(topology, 'dakar');
    const { servers } = await clusterStatus(topology);
    const dakar = servers.find((s) => s.name === 'dakar')!;
    expect(dakar.role).toBe('standby');
    expect(dakar.replication).toMatchObject({ upstream: 'dakar-standby', state: 'streaming', sync: 'sync' });
    expect(dakar.rebuildPending).toBe(false);
    const [row] = await sqlOn<{ id: number; xmin: string }>('dakar-standby', 'UPDATE client SET nom = nom WHERE id = 1 RETURNING id, xmin::text');
    expect(await sqlOn('dakar', 'SELECT xmin::text FROM client WHERE id = 1')).toEqual([{ xmin: row!.xmin }]);
    await expect(sqlOn('dakar', 'UPDATE client SET nom = nom WHERE id = 1')).rejects.toThrow(/read-only transaction/);
  });

  it('fails back to the original roles, every service healthy', async () => {
    await failover(topology, 'dakar');
    await rebuildStandby(topology, 'dakar');
    failedBack = true;
    const state = readState(topology)!;
    expect(state.primaries).toEqual({});
    expect(state.rebuildPending).toEqual([]);
    const { servers, services } = await clusterStatus(topology);
    for (const server of servers) expect(server.role, server.name).toBe(serverByName(topology, server.name).role);
    expect(servers.find((s) => s.name === 'dakar-standby')?.replication).toMatchObject({ upstream: 'dakar', state: 'streaming', sync: 'sync' });
    expect(services.filter((s) => s.role !== 'up')).toEqual([]);
    const response = await graphql<{ placeOrder: { order: { site: string } | null } }>(
      PLACE_ORDER, { i: { clientId: '8', items: [{ productId: '154', quantity: 1 }] } }, { url: serviceUrl('orders'), headers: await asCustomer('8') });
    expect(response.data?.placeOrder.order?.site).toBe('DAKAR');
    await expectStockConserved();
  });
});

describe('teranga monitor: a killed primary is failed over with nobody running failover', () => {
  let monitor: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (monitor && monitor.exitCode === null) {
      const exited = new Promise((resolve) => monitor!.once('exit', resolve));
      monitor.kill('SIGTERM');
      await exited;
    }
    // leave thies as the suites after this one expect it: old primary rebuilt, then the original roles
    let state = readState(topology)!;
    if (state.primaries.thies === undefined && postmasterPid(serverDataDir(state.pgRoot, 'thies')) === null) {
      // killed but never promoted (the test gave up first): start the old primary again
      await up(topology);
      state = readState(topology)!;
    }
    if (state.primaries.thies === 'thies-standby') {
      if (state.rebuildPending?.includes('thies')) await rebuildStandby(topology, 'thies');
      await failover(topology, 'thies');
    }
    if (readState(topology)!.rebuildPending?.includes('thies-standby')) await rebuildStandby(topology, 'thies');
    await copiesResubscribed();
    expect(readState(topology)!.primaries.thies).toBeUndefined();
  });

  it('detects the dead Thiès primary after the missed probes and promotes thies-standby by itself', async () => {
    expect(readState(topology)!.primaries.thies).toBeUndefined();
    monitor = spawn(process.execPath, ['bin/teranga.js', 'monitor', '--interval', '200', '--misses', '3'], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    monitor.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    monitor.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await until('the monitor to watch the primaries', async () => output.includes('watching'), { withinMs: 30_000 });

    const pid = postmasterPid(serverDataDir(readState(topology)!.pgRoot, 'thies'));
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    // the test itself never calls failover: only the monitor can change the recorded roles
    await until('the monitor to promote thies-standby', async () => readState(topology)!.primaries.thies === 'thies-standby', { withinMs: 150_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; the monitor said:\n${output}`);
    });

    expect(output).toMatch(/thies missed 3 probes: failing thies over to thies-standby/);
    expect(monitor.exitCode, output).toBeNull();
    const [role] = await sqlOn<{ standby: boolean }>('thies-standby', 'SELECT pg_is_in_recovery() AS standby');
    expect(role!.standby).toBe(false);
    // only the dead primary was failed over
    expect(readState(topology)!.primaries).toEqual({ thies: 'thies-standby' });
    const [row] = await sqlOn<{ id: number }>('thies-standby', 'UPDATE client SET nom = nom WHERE id = 2 RETURNING id');
    expect(row!.id).toBe(2);
  }, 240_000);
});
