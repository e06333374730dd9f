/**
 * Replication figures (case study, task 5): replication lag while orders flow, in synchronous and
 * asynchronous mode, and the time a failover takes, from kill -9 of a site's primary to the first
 * order committed on its promoted standby. Run against a running local cluster (`npx teranga up`):
 *
 *   node bin/teranga.js bench-replication [--site dakar] [--seconds 15] [--concurrency 4] [--rounds 3]
 *   npx tsx bench/replication.ts [same options]
 *
 * The failover rounds kill the site's primary, fail over, rebuild the old primary as standby, switch
 * back (a planned switchover, measured too) and rebuild again: the cluster ends in its original
 * roles and replication mode. Not a test: it prints figures and judges none.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import { serverDataDir, up } from '../cluster/cluster.ts';
import { failover, type FailoverReport } from '../cluster/failover.ts';
import { postmasterPid } from '../cluster/postgres-server.ts';
import { rebuildStandby } from '../cluster/rebuild-standby.ts';
import { currentPrimary } from '../cluster/running-topology.ts';
import { readState } from '../cluster/state.ts';
import { parseLsn } from '../lib/db/lsn.ts';
import { placement } from '../lib/placement.ts';
import { isSiteId, SITE_IDS, type SiteId } from '../lib/sites.ts';
import { connectionString, serviceByName, topologyFromEnv, type PostgresServer, type Topology } from '../lib/topology.ts';
import { CASE_STUDY_CLIENTS, SEED_CLIENTS } from '../seed/clients.ts';
import { bearer } from './credentials.ts';
import { FIXTURE_SETS, localArticle, prepareFixtures } from './fixtures.ts';
import { recoverySettings } from '../cluster/coordinator-admin.ts';
import { decisionOf, lockFreedAt, prepareInDoubtShare } from './in-doubt-locks.ts';
import { livePrimary, liveStandby } from './servers.ts';
import { fmt, percentile } from './load.ts';

/**
 * `sync`: the default, commits wait until the standby has applied them (remote_apply);
 * `sync-flush`: commits wait only until the standby has flushed them (synchronous_commit = on),
 * to show what remote_apply costs; `async`: commits do not wait for the standby.
 */
export type ReplicationMode = 'sync' | 'sync-flush' | 'async';
export const REPLICATION_MODES: readonly ReplicationMode[] = ['sync', 'sync-flush', 'async'];

const MODE_TITLES: Record<ReplicationMode, string> = {
  sync: 'synchronous, synchronous_commit = remote_apply (the default)',
  'sync-flush': 'synchronous, synchronous_commit = on (standby flush only)',
  async: 'asynchronous (synchronous_commit = on, no synchronous standby)',
};

export interface ReplicationBenchOptions {
  readonly site: SiteId;
  /** Seconds of orders per replication mode for the lag figures. */
  readonly seconds: number;
  /** Concurrent clients placing orders. */
  readonly concurrency: number;
  /** Failover rounds (0: none). */
  readonly rounds: number;
  readonly modes: readonly ReplicationMode[];
  /** Modes the failover rounds run in (default: synchronous only); asynchronous ones measure the orders lost. */
  readonly failoverModes?: readonly ReplicationMode[];
  readonly log?: (line: string) => void;
  /** Receives every figure printed, keyed (see bench/figures.ts), for the recorded run. */
  readonly record?: (key: string, value: number, unit: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';

interface Ack {
  readonly id: string;
  readonly startedAt: number;
  readonly at: number;
}

/** Closed-loop order traffic from the site's clients until stopped. */
function orderTraffic(topology: Topology, site: SiteId, concurrency: number) {
  const url = serviceByName(topology, 'orders').url;
  // not the case study's sample clients, whose orders the locality benchmark reads
  const clients = SEED_CLIENTS.filter((c) => c.id > CASE_STUDY_CLIENTS && placement(c.ville).site === site).map((c) => c.id);
  const acks: Ack[] = [];
  const latenciesMs: number[] = [];
  let failures = 0;
  let stopped = false;
  const t0 = performance.now();
  const done = Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const clientId = clients[worker % clients.length]!;
      const headers = { 'content-type': 'application/json', ...(await bearer(topology, { clientId })) };
      const productId = String(localArticle(site, worker));
      for (let n = 0; !stopped; n++) {
        const startedAt = Date.now();
        const start = performance.now();
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers,
            body: JSON.stringify({ query: PLACE, variables: { i: { clientId: String(clientId), items: [{ productId, quantity: 1 }] } } }),
            signal: AbortSignal.timeout(20_000),
          });
          const body = (await response.json()) as { data?: { placeOrder: { order: { id: string } | null } } };
          const order = body.data?.placeOrder.order;
          if (!order) throw new Error('refused');
          latenciesMs.push(performance.now() - start);
          acks.push({ id: order.id, startedAt, at: Date.now() });
        } catch {
          failures++;
          await sleep(20);
        }
      }
    }),
  );
  return {
    acks,
    async stop() {
      stopped = true;
      await done;
      return { latenciesMs, failures, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

async function connect(topology: Topology, server: PostgresServer): Promise<pg.Client> {
  const client = toolClient({ connectionString: connectionString(topology, server), application_name: 'teranga-bench' });
  await client.connect();
  return client;
}

interface LagSamples {
  /** WAL flushed on the primary → replayed (visible) on the standby, measured by polling. */
  visibilityMs: number[];
  /** pg_stat_replication.replay_lag, as the primary's walsender measures it. */
  replayLagMs: number[];
  /** WAL bytes written on the primary and not yet replayed. */
  bytesBehind: number[];
  /** A bare one-row commit (a transactional WAL message) on the primary. */
  commitMs: number[];
}

async function sampleLag(topology: Topology, site: SiteId, stopped: () => boolean): Promise<LagSamples> {
  // the roles the servers play now, which a failover may have swapped
  const primaryServer = await livePrimary(topology, site);
  const standbyServer = await requireStandby(topology, site);
  const [primary, standby, committer] = await Promise.all([connect(topology, primaryServer), connect(topology, standbyServer), connect(topology, primaryServer)]);
  const samples: LagSamples = { visibilityMs: [], replayLagMs: [], bytesBehind: [], commitMs: [] };
  try {
    const visibility = (async () => {
      while (!stopped()) {
        const { rows } = await primary.query<{ lsn: string; replay_lag_ms: number | null; bytes: number | null }>(
          `SELECT pg_current_wal_flush_lsn()::text AS lsn,
                  (extract(epoch FROM r.replay_lag) * 1000)::float8 AS replay_lag_ms,
                  pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float8 AS bytes
           FROM (SELECT 1) AS one LEFT JOIN pg_stat_replication r ON r.application_name = $1`,
          [standbyServer.name],
        );
        const t0 = performance.now();
        const target = parseLsn(rows[0]!.lsn);
        if (rows[0]!.replay_lag_ms !== null) samples.replayLagMs.push(rows[0]!.replay_lag_ms);
        if (rows[0]!.bytes !== null) samples.bytesBehind.push(rows[0]!.bytes);
        for (;;) {
          const replayed = await standby.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
          if (parseLsn(replayed.rows[0]!.lsn) >= target || performance.now() - t0 > 10_000) break;
        }
        samples.visibilityMs.push(performance.now() - t0);
        await sleep(10);
      }
    })();
    const commits = (async () => {
      while (!stopped()) {
        const t0 = performance.now();
        await committer.query("SELECT pg_logical_emit_message(true, 'teranga-bench', '')");
        samples.commitMs.push(performance.now() - t0);
        await sleep(20);
      }
    })();
    await Promise.all([visibility, commits]);
  } finally {
    await Promise.all([primary.end(), standby.end(), committer.end()]);
  }
  return samples;
}

async function requireStandby(topology: Topology, site: SiteId): Promise<PostgresServer> {
  const standby = await liveStandby(topology, site);
  if (!standby) throw new Error(`No standby of ${site} answers: rebuild it first (\`teranga rebuild-standby ${site}\`)`);
  return standby;
}

/** The floor of the visibility figure: one round trip to the standby. */
async function standbyRoundTripMs(topology: Topology, site: SiteId): Promise<number> {
  const standby = await connect(topology, await requireStandby(topology, site));
  try {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await standby.query('SELECT pg_last_wal_replay_lsn()');
      times.push(performance.now() - t0);
    }
    return percentile(times, 50);
  } finally {
    await standby.end();
  }
}

async function setMode(topology: Topology, site: SiteId, mode: ReplicationMode): Promise<void> {
  await up(topology, { synchronous: mode !== 'async' });
  const primary = await connect(topology, currentPrimary(topology, readState(topology), site));
  // the physical standby's row: the logical copies to the other sites stream from this primary too
  const standby = (await requireStandby(topology, site)).name;
  try {
    // sync-flush exists only here: ALTER SYSTEM outranks the launcher's teranga.conf until reset
    await primary.query(mode === 'sync-flush' ? "ALTER SYSTEM SET synchronous_commit = 'on'" : 'ALTER SYSTEM RESET synchronous_commit');
    await primary.query('SELECT pg_reload_conf()');
    const wanted = { state: mode === 'async' ? 'async' : 'sync', commit: mode === 'sync' ? 'remote_apply' : 'on' };
    // a standby rebuilt a moment ago may take a while on a loaded machine to report as synchronous
    for (let i = 0; i < 600; i++) {
      const { rows } = await primary.query<{ sync_state: string | null; commit: string }>(
        "SELECT (SELECT sync_state FROM pg_stat_replication WHERE application_name = $1) AS sync_state, current_setting('synchronous_commit') AS commit",
        [standby],
      );
      if (rows[0]?.sync_state === wanted.state && rows[0].commit === wanted.commit) return;
      await sleep(100);
    }
    throw new Error(`${site} did not switch to ${mode} replication`);
  } finally {
    await primary.end();
  }
}

const row = (label: string, values: readonly number[], unit: string) =>
  `  ${label.padEnd(58)} p50 ${fmt(percentile(values, 50), 2).padStart(8)} ${unit.padEnd(4)} p99 ${fmt(percentile(values, 99), 2).padStart(8)} ${unit.padEnd(4)} (${values.length} samples)`;

async function measureLag(topology: Topology, options: ReplicationBenchOptions, log: (line: string) => void): Promise<void> {
  log(`\n== replication lag while orders flow (${options.concurrency} clients of ${options.site}, ${options.seconds} s per mode)`);
  log(`  floor of the visibility figure (one standby round trip): ${fmt(await standbyRoundTripMs(topology, options.site), 3)} ms`);
  for (const mode of options.modes) {
    await setMode(topology, options.site, mode);
    const traffic = orderTraffic(topology, options.site, options.concurrency);
    await sleep(1_000);
    let stopped = false;
    const lag = sampleLag(topology, options.site, () => stopped);
    await sleep(options.seconds * 1000);
    stopped = true;
    const samples = await lag;
    const orders = await traffic.stop();
    log(`\n-- ${MODE_TITLES[mode]}`);
    log(row('placeOrder latency (orders subgraph, one site)', orders.latenciesMs, 'ms'));
    log(`  ${'orders acknowledged'.padEnd(58)} ${orders.latenciesMs.length} (${fmt(orders.latenciesMs.length / orders.seconds)} /s, ${orders.failures} failed)`);
    log(row('bare commit on the primary (one WAL record)', samples.commitMs, 'ms'));
    log(row('lag: WAL flushed on primary → visible on standby', samples.visibilityMs, 'ms'));
    log(row('lag: pg_stat_replication.replay_lag (non-idle samples)', samples.replayLagMs, 'ms'));
    log(row('lag: WAL bytes not yet replayed', samples.bytesBehind, 'B'));
    const put = (what: string, values: readonly number[], unit: string) => {
      options.record?.(`${mode}.${what}.p50`, percentile(values, 50), unit);
      options.record?.(`${mode}.${what}.p99`, percentile(values, 99), unit);
    };
    put('order', orders.latenciesMs, 'ms');
    options.record?.(`${mode}.orders_per_s`, orders.latenciesMs.length / orders.seconds, 'commandes/s');
    put('commit', samples.commitMs, 'ms');
    put('visibility', samples.visibilityMs, 'ms');
    put('replay_lag', samples.replayLagMs, 'ms');
  }
}

async function present(topology: Topology, site: SiteId, ids: readonly string[]): Promise<number> {
  const client = await connect(topology, currentPrimary(topology, readState(topology), site));
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM commande WHERE id = ANY($1::uuid[])', [ids]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

interface Round {
  /** From kill -9 until the launcher sees the postmaster gone. */
  deathMs: number;
  killToPromotedMs: number;
  promoteMs: number;
  killToFirstOrderMs: number;
  outageMs: number;
  ackedBeforeKill: number;
  lost: number;
  rebuildMs: number;
  switchoverOutageMs: number;
  switchoverMs: number;
  /** From kill -9 until the stock row held by a share prepared elsewhere, left undecided, could be locked again. */
  lockHeldMs: number;
  /** What recovery decided for that share (ABORT: the decision site never decided). */
  lockDecision: string | null;
}

/** The site whose stock a share left undecided by the killed decision site holds (the next one in site order). */
function otherSite(site: SiteId): SiteId {
  return SITE_IDS[(SITE_IDS.indexOf(site) + 1) % SITE_IDS.length]!;
}

/** Waits for the first order started after `since` to be acknowledged. */
async function firstAckAfter(acks: readonly Ack[], since: number, timeoutMs = 60_000): Promise<Ack> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ack = acks.find((a) => a.startedAt > since);
    if (ack) return ack;
    if (Date.now() > deadline) throw new Error(`no order was acknowledged within ${timeoutMs / 1000} s`);
    await sleep(2);
  }
}

async function failoverRound(topology: Topology, options: ReplicationBenchOptions): Promise<Round> {
  const { site } = options;
  const state = readState(topology)!;
  // the server that is the primary now is killed, and made the primary again by the switchover back
  const killed = currentPrimary(topology, state, site);
  const traffic = orderTraffic(topology, site, options.concurrency);
  try {
    await sleep(2_000);
    const pid = postmasterPid(serverDataDir(state.pgRoot, killed));
    if (!pid) throw new Error(`the ${site} primary is not running`);
    // an article no order of this traffic touches (theirs are stocked at the site killed)
    const share = await prepareInDoubtShare(topology, otherSite(site), site, localArticle(otherSite(site), FIXTURE_SETS - 1));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // settled as a value, awaited after the failover: a failure must not go unhandled meanwhile
    const freed = lockFreedAt(topology, share, 120_000).then((at) => ({ at }), (error: Error) => ({ error }));
    const ackedBefore = traffic.acks.filter((a) => a.at <= killedAt).map((a) => a.id);
    const lastBefore = Math.max(...traffic.acks.filter((a) => a.at <= killedAt).map((a) => a.at));
    while (postmasterPid(serverDataDir(state.pgRoot, killed))) await sleep(1);
    const deadAt = Date.now();
    const report: FailoverReport = await failover(topology, site);
    const promotedAt = Date.now();
    const first = await firstAckAfter(traffic.acks, killedAt);
    const lost = ackedBefore.length - (await present(topology, site, ackedBefore));
    const lockFree = await freed;
    if ('error' in lockFree) throw lockFree.error;
    const lockDecision = await decisionOf(topology, share, site);

    const rebuild = await rebuildStandby(topology, site);
    // planned switchover back to the original primary, orders still flowing
    await sleep(1_000);
    const switchAt = Date.now();
    const lastBeforeSwitch = Math.max(...traffic.acks.filter((a) => a.at <= switchAt).map((a) => a.at));
    const back = await failover(topology, site);
    const firstAfterSwitch = await firstAckAfter(traffic.acks, switchAt + back.fenceMs);
    await rebuildStandby(topology, site);
    return {
      deathMs: deadAt - killedAt,
      killToPromotedMs: promotedAt - killedAt,
      promoteMs: report.promoteMs,
      killToFirstOrderMs: first.at - killedAt,
      outageMs: first.at - lastBefore,
      ackedBeforeKill: ackedBefore.length,
      lost,
      rebuildMs: rebuild.totalMs,
      switchoverOutageMs: firstAfterSwitch.at - lastBeforeSwitch,
      switchoverMs: back.totalMs,
      lockHeldMs: lockFree.at - killedAt,
      lockDecision,
    };
  } finally {
    await traffic.stop();
  }
}

async function measureFailover(topology: Topology, options: ReplicationBenchOptions, log: (line: string) => void, mode: ReplicationMode = 'sync'): Promise<void> {
  log(`\n== failover of ${options.site}, ${MODE_TITLES[mode]}: kill -9 of its primary, \`teranga failover\` at once, orders from ${options.concurrency} clients (${options.rounds} rounds)`);
  log('   detection is not included: the failover starts as soon as the postmaster is dead');
  const recovery = await recoverySettings(topology);
  log(`   a share prepared at ${otherSite(options.site)} just before each kill waits for ${options.site}'s decision; recovery: in-doubt timeout ${recovery.inDoubtTimeoutMs} ms, every ${recovery.intervalMs} ms`);
  const rounds: Round[] = [];
  for (let i = 1; i <= options.rounds; i++) {
    const round = await failoverRound(topology, options);
    rounds.push(round);
    log(
      `  round ${i}: kill→promoted ${round.killToPromotedMs} ms (postmaster gone after ${round.deathMs} ms, pg_promote ${round.promoteMs} ms), kill→first order ${round.killToFirstOrderMs} ms, ` +
        `orders interrupted ${round.outageMs} ms, ${round.ackedBeforeKill} acknowledged before the kill, ${round.lost} lost; ` +
        `rebuild ${round.rebuildMs} ms; switchover back ${round.switchoverMs} ms (orders interrupted ${round.switchoverOutageMs} ms); ` +
        `${otherSite(options.site)} stock row locked by the undecided share ${round.lockHeldMs} ms after the kill (${round.lockDecision ?? 'no decision'})`,
    );
  }
  const median = (pick: (r: Round) => number) => percentile(rounds.map(pick), 50);
  const lockHeldMax = Math.max(...rounds.map((r) => r.lockHeldMs));
  log(`\n  median over ${rounds.length} rounds:`);
  log(`  ${'kill -9 → failover command done (promoted, state, foreign servers)'.padEnd(58)} ${fmt(median((r) => r.killToPromotedMs), 0)} ms`);
  log(`  ${'of which pg_promote()'.padEnd(58)} ${fmt(median((r) => r.promoteMs), 0)} ms`);
  log(`  ${'kill -9 → first order committed on the new primary'.padEnd(58)} ${fmt(median((r) => r.killToFirstOrderMs), 0)} ms`);
  log(`  ${'last order before → first order after (no order succeeds)'.padEnd(58)} ${fmt(median((r) => r.outageMs), 0)} ms`);
  log(`  ${'acknowledged orders lost'.padEnd(58)} ${rounds.reduce((n, r) => n + r.lost, 0)} of ${rounds.reduce((n, r) => n + r.ackedBeforeKill, 0)}`);
  log(`  ${'rebuild-standby (base backup copy + catch-up)'.padEnd(58)} ${fmt(median((r) => r.rebuildMs), 0)} ms`);
  log(`  ${'planned switchover: orders interrupted'.padEnd(58)} ${fmt(median((r) => r.switchoverOutageMs), 0)} ms`);
  log(`  ${`kill -9 → ${otherSite(options.site)} row of an undecided share unlocked`.padEnd(58)} ${fmt(median((r) => r.lockHeldMs), 0)} ms (max ${fmt(lockHeldMax, 0)} ms; decided ${[...new Set(rounds.map((r) => r.lockDecision ?? 'nothing'))].join(', ')})`);
  const put = (what: string, value: number, unit = 'ms') => options.record?.(`failover.${mode}.${what}`, value, unit);
  put('rounds', rounds.length, '');
  put('kill_to_promoted', median((r) => r.killToPromotedMs));
  put('promote', median((r) => r.promoteMs));
  put('kill_to_first_order', median((r) => r.killToFirstOrderMs));
  put('outage', median((r) => r.outageMs));
  put('lost', rounds.reduce((n, r) => n + r.lost, 0), '');
  put('acked', rounds.reduce((n, r) => n + r.ackedBeforeKill, 0), '');
  put('rebuild', median((r) => r.rebuildMs));
  put('switchover_outage', median((r) => r.switchoverOutageMs));
  put('lock_held', median((r) => r.lockHeldMs));
  put('lock_held_max', lockHeldMax);
  put('lock_aborted', rounds.filter((r) => r.lockDecision === 'ABORT').length, '');
  put('indoubt_timeout', recovery.inDoubtTimeoutMs);
  put('recovery_interval', recovery.intervalMs);
}

export async function runReplicationBench(topology: Topology, options: ReplicationBenchOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const state = readState(topology);
  if (!state) throw new Error(`No local cluster in ${topology.dataDir}: run \`teranga up\` first`);
  // any roles will do (a failover round ends in the roles it started from), but every pair needs its standby
  if (state.rebuildPending?.length) {
    throw new Error(`${state.rebuildPending.join(', ')} awaits a rebuild (see \`teranga status\`): run \`teranga rebuild-standby\` first`);
  }
  const originalMode: ReplicationMode = state.synchronous ? 'sync' : 'async';
  log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);
  log(`cluster: ${topology.dataDir}, site ${options.site}, modes ${options.modes.join(', ')}, PostgreSQL fsync on, all servers on this machine`);
  log(`load average before the run: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine inflates every figure)`);
  await prepareFixtures(topology);
  try {
    if (options.seconds > 0) await measureLag(topology, options, log);
    if (options.rounds > 0) {
      for (const mode of options.failoverModes ?? ['sync']) {
        await setMode(topology, options.site, mode);
        await measureFailover(topology, options, log, mode);
      }
    }
  } catch (error) {
    log(`\nstopped: ${(error as Error).message}; the cluster is left as it is (see \`teranga status\`)`);
    throw error;
  }
  await setMode(topology, options.site, originalMode);
}

/** Options as the CLI and the script take them. */
export function parseReplicationBenchArgs(args: readonly string[]): ReplicationBenchOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      site: { type: 'string', default: 'dakar' },
      seconds: { type: 'string', default: '15' },
      concurrency: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '3' },
      modes: { type: 'string', default: REPLICATION_MODES.join(',') },
    },
  });
  const count = (name: string, raw: string) => {
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number, got "${raw}"`);
    return Number(raw);
  };
  if (!isSiteId(values.site)) throw new Error(`--site must be one of ${SITE_IDS.join(', ')}`);
  const modes = values.modes.split(',').map((m) => m.trim());
  for (const mode of modes) {
    if (!(REPLICATION_MODES as readonly string[]).includes(mode)) throw new Error(`--modes takes ${REPLICATION_MODES.join(', ')} or a comma-separated list of them, got "${mode}"`);
  }
  const concurrency = count('concurrency', values.concurrency);
  if (concurrency < 1) throw new Error('--concurrency must be at least 1');
  return {
    site: values.site,
    seconds: count('seconds', values.seconds),
    concurrency,
    rounds: count('rounds', values.rounds),
    modes: modes as ReplicationMode[],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runReplicationBench(topologyFromEnv(), parseReplicationBenchArgs(process.argv.slice(2)));
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
