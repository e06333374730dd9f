/**
 * A connection pool that follows one database's servers through failovers. It knows the
 * database's servers from the topology (its primary and its standby) and hands out connections
 * to whichever of them plays the wanted role now. It asks the servers themselves
 * (`pg_is_in_recovery()`), never a shared state file, so it follows a promotion made by
 * `teranga failover` as well as one made by hand in compose.
 *
 * Only connecting is retried. A statement that fails because its server went away is reported to
 * the caller: only the caller knows whether repeating it is safe (a COMMIT may have landed).
 */
import type { PostgresPool } from 'kysely';
import pg from 'pg';
import { connectionString, connectionStringTo, type DatabaseRole, type PostgresServer, type Topology } from '../topology.ts';
// also installs the int8 type parser every service relies on
import './connect.ts';
import type { PoolOptions } from './connect.ts';

export type ServerRole = 'primary' | 'standby';

/**
 * `primary`: writes, and reads that must see every commit.
 * `prefer-standby`: reads that may lag; a standby while one answers, else the primary.
 */
export type Target = 'primary' | 'prefer-standby';

export interface FollowingPoolOptions extends PoolOptions {
  readonly target: Target;
  /**
   * How long connect() keeps looking for a server in the wanted role before it fails: long
   * enough to ride out a promotion, shorter than the coordinator's participant timeout.
   */
  readonly failoverWaitMs?: number;
  /** prefer-standby: while reading from the primary for want of a standby, how often to look for one again. */
  readonly standbyRetryMs?: number;
  /** Called when a connection that ran a writing statement is released, i.e. once the write has committed. */
  readonly onWrite?: () => void;
  /** Another database of the same servers than the application's (a local copy, `copie_<site>`). */
  readonly databaseName?: string;
  /** Called when the pool moves to another server. */
  readonly onSwitch?: (server: PostgresServer, role: ServerRole) => void;
}

/** The server a connection reached, and the role it had when the connection was made. */
export interface ServedBy {
  readonly server: PostgresServer;
  readonly role: ServerRole;
}

export class NoServerError extends Error {
  constructor(database: DatabaseRole, target: Target, tried: readonly PostgresServer[], cause: unknown) {
    super(
      `No ${target === 'primary' ? 'primary' : 'server'} of database ${database} answers (tried ${tried.map((s) => s.name).join(', ')})` +
        (cause instanceof Error ? `: ${cause.message}` : ''),
      { cause },
    );
    this.name = 'NoServerError';
  }
}

class WrongRoleError extends Error {
  constructor(server: PostgresServer) {
    super(`${server.name} is no longer a primary`);
    this.name = 'WrongRoleError';
  }
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * The server could not be reached or refused new sessions (starting up, shutting down, gone):
 * another server may serve instead.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERRORS.has(code)) return true;
    // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception class
    if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08')) return true;
  }
  // not pg-pool's "timeout exceeded when trying to connect": that one means every connection is busy
  if (/Connection terminated|connection timeout/i.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isConnectionFailure(error.cause);
}

/** Statements after which a read elsewhere must wait for replay to see this connection's work. */
const WRITING_STATEMENT = /^\s*(insert|update|delete|merge|commit|end|truncate|copy|call|do|with)\b/i;

function statementText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg !== null && typeof arg === 'object' && 'text' in arg && typeof arg.text === 'string') return arg.text;
  return '';
}

interface Probe {
  readonly server: PostgresServer;
  readonly role: ServerRole;
  /** A primary's timeline: after a split brain, the higher one was promoted last. */
  readonly timeline: number;
}

// pg_walfile_name() fails during recovery, hence the CASE.
const PROBE_SQL = `SELECT pg_is_in_recovery() AS standby,
  CASE WHEN pg_is_in_recovery() THEN 0
       ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline`;

async function probe(topology: Topology, server: PostgresServer, timeoutMs: number): Promise<Probe | null> {
  const client = new pg.Client({
    connectionString: connectionString(topology, server),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'teranga-probe',
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ standby: boolean; timeline: number }>(PROBE_SQL);
    const row = rows[0]!;
    return { server, role: row.standby ? 'standby' : 'primary', timeline: row.timeline };
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * const pool = new FollowingPool(topology, 'dakar', { target: 'primary', applicationName: 'teranga-region-dakar' });
 * const db = new Kysely<SiteDatabase>({ dialect: new PostgresDialect({ pool }) });
 */
export class FollowingPool implements PostgresPool {
  /** kysely reads it only to build a query-cancelling client, which this pool does not offer. */
  readonly options: object = {};
  readonly database: DatabaseRole;
  readonly #topology: Topology;
  readonly #candidates: readonly PostgresServer[];
  readonly #settings: Required<Omit<FollowingPoolOptions, 'onWrite' | 'onSwitch' | 'databaseName'>> & Pick<FollowingPoolOptions, 'onWrite' | 'onSwitch' | 'databaseName'>;
  readonly #pools = new Map<string, pg.Pool>();
  readonly #servedBy = new WeakMap<pg.PoolClient, ServedBy>();
  readonly #wrote = new WeakSet<pg.PoolClient>();
  #current: Probe | null = null;
  #probing: Promise<Probe | null> | null = null;
  #nextStandbyLook = 0;
  #ended = false;

  constructor(topology: Topology, database: DatabaseRole, options: FollowingPoolOptions) {
    this.#topology = topology;
    this.database = database;
    this.#candidates = topology.postgres.filter((s) => s.database === database);
    if (this.#candidates.length === 0) throw new Error(`The topology has no server for database ${database}`);
    this.#settings = {
      max: 10,
      applicationName: 'teranga',
      failoverWaitMs: 5_000,
      standbyRetryMs: 2_000,
      ...options,
    };
  }

  /** The server new connections go to, once known. */
  get server(): ServedBy | null {
    return this.#current && { server: this.#current.server, role: this.#current.role };
  }

  /** Where a connection handed out by this pool is connected. */
  servedBy(client: pg.PoolClient): ServedBy | undefined {
    return this.#servedBy.get(client);
  }

  async connect(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.#settings.failoverWaitMs;
    let lastError: unknown = null;
    for (let attempt = 0; ; attempt++) {
      if (this.#ended) throw new Error(`The pool of database ${this.database} has been ended`);
      const choice = await this.#choose();
      if (choice) {
        try {
          return await this.#checkout(choice);
        } catch (error) {
          if (!(error instanceof WrongRoleError) && !isConnectionFailure(error)) throw error;
          lastError = error;
          if (this.#current === choice) this.#current = null;
        }
      }
      if (Date.now() >= deadline) throw new NoServerError(this.database, this.#settings.target, this.#candidates, lastError);
      await sleep(Math.min(25 * 2 ** attempt, 250));
    }
  }

  /** One statement on a pooled connection (`pool.query` of pg). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    let result: pg.QueryResult<R>;
    try {
      result = await client.query<R>(text, values);
    } catch (error) {
      client.release(isConnectionFailure(error) ? (error as Error) : undefined);
      throw error;
    }
    client.release();
    return result;
  }

  async end(): Promise<void> {
    this.#ended = true;
    await Promise.all([...this.#pools.values()].map((pool) => pool.end()));
  }

  async #choose(): Promise<Probe | null> {
    const current = this.#current;
    if (current) {
      if (this.#settings.target === 'prefer-standby' && current.role === 'primary' && Date.now() >= this.#nextStandbyLook) {
        // look for a standby again without holding this request up
        this.#nextStandbyLook = Date.now() + this.#settings.standbyRetryMs;
        this.#probeOnce().catch(() => {});
      }
      return current;
    }
    return this.#probeOnce();
  }

  #probeOnce(): Promise<Probe | null> {
    this.#probing ??= this.#probeAll().finally(() => {
      this.#probing = null;
    });
    return this.#probing;
  }

  async #probeAll(): Promise<Probe | null> {
    const timeoutMs = Math.min(2_000, this.#settings.failoverWaitMs);
    const answers = (await Promise.all(this.#candidates.map((s) => probe(this.#topology, s, timeoutMs)))).filter((p): p is Probe => p !== null);
    const primaries = answers.filter((p) => p.role === 'primary').sort((a, b) => b.timeline - a.timeline);
    const standbys = answers.filter((p) => p.role === 'standby');
    const chosen = this.#settings.target === 'primary' ? primaries[0] : (standbys[0] ?? primaries[0]);
    if (!chosen) return null;
    const previous = this.#current;
    this.#current = chosen;
    if (chosen.role === 'primary') this.#nextStandbyLook = Date.now() + this.#settings.standbyRetryMs;
    if (previous?.server.name !== chosen.server.name || previous.role !== chosen.role) {
      this.#settings.onSwitch?.(chosen.server, chosen.role);
    }
    return chosen;
  }

  #poolFor(server: PostgresServer): pg.Pool {
    let pool = this.#pools.get(server.name);
    if (!pool) {
      pool = new pg.Pool({
        connectionString: this.#settings.databaseName
          ? connectionStringTo(this.#topology, server, this.#settings.databaseName)
          : connectionString(this.#topology, server),
        max: this.#settings.max,
        application_name: this.#settings.applicationName,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 10_000,
      });
      // an idle connection losing its server (failover, restart) must not crash the process
      pool.on('error', () => {});
      this.#pools.set(server.name, pool);
    }
    return pool;
  }

  async #checkout(choice: Probe): Promise<pg.PoolClient> {
    const client = await this.#poolFor(choice.server).connect();
    let served = this.#servedBy.get(client);
    if (!served) {
      // pg-pool listens for errors only on idle connections: a server dying while a connection is
      // checked out between two statements would otherwise crash the process. The statement in
      // flight, if any, still fails, and the pool drops the connection when it comes back.
      client.on('error', () => {});
      // Once per connection: a standby may have been promoted since the probe, and a primary
      // cannot turn into a standby without dropping its connections, so this stays true.
      try {
        const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        served = { server: choice.server, role: rows[0]!.standby ? 'standby' : 'primary' };
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      this.#servedBy.set(client, served);
      if (this.#settings.onWrite) this.#trackWrites(client);
    }
    if (this.#settings.target === 'primary' && served.role !== 'primary') {
      client.release(true);
      throw new WrongRoleError(choice.server);
    }
    if (this.#settings.onWrite) {
      const onWrite = this.#settings.onWrite;
      // pg-pool gives every checkout a fresh release function: wrap this one
      const release = client.release.bind(client);
      client.release = (error?: Error | boolean) => {
        release(error);
        if (this.#wrote.delete(client)) onWrite();
      };
    }
    return client;
  }

  #trackWrites(client: pg.PoolClient): void {
    const target = client as unknown as { query: (...args: unknown[]) => unknown };
    const query = target.query.bind(client);
    target.query = (...args: unknown[]) => {
      if (WRITING_STATEMENT.test(statementText(args[0]))) this.#wrote.add(client);
      return query(...args);
    };
  }
}
