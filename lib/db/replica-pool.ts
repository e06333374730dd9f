/**
 * Connections for reads that may lag behind the primary (product information, the stock shown to
 * clients, the coordinator's allocation snapshot): a standby of the database while one answers,
 * but never one that has not yet replayed a write this process acknowledged. Reads after a
 * process's own writes therefore see them (read-your-writes), whatever the replication mode:
 * - synchronous replication commits with `remote_apply`, so the standby has replayed every
 *   acknowledged commit and the check below passes at once;
 * - asynchronous replication (or a primary left without its standby) may lag: a read waits a
 *   little for the standby to catch up, then reads the primary instead.
 */
import type { PostgresPool } from 'kysely';
import type pg from 'pg';
import type { DatabaseRole, PostgresServer, Topology } from '../topology.ts';
import type { PoolOptions } from './connect.ts';
import { FollowingPool } from './following-pool.ts';
import { parseLsn, type Lsn } from './lsn.ts';
import type { WriteWatermark } from './write-watermark.ts';

export interface ReplicaPoolOptions extends PoolOptions {
  /** How long a read waits for the standby to replay this process's last write before reading the primary. */
  readonly catchUpWaitMs?: number;
  /** After the standby failed to catch up in time, how long reads go straight to the primary. */
  readonly laggingCooldownMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ReplicaPool implements PostgresPool {
  readonly options: object = {};
  readonly #standby: FollowingPool;
  readonly #primary: FollowingPool;
  readonly #watermark: WriteWatermark;
  readonly #catchUpWaitMs: number;
  readonly #laggingCooldownMs: number;
  /** Replay positions seen per standby: a standby's replay only moves forward. */
  readonly #replayed = new Map<string, Lsn>();
  #laggingUntil = 0;

  constructor(topology: Topology, database: DatabaseRole, primary: FollowingPool, watermark: WriteWatermark, options: ReplicaPoolOptions = {}) {
    this.#primary = primary;
    this.#watermark = watermark;
    this.#catchUpWaitMs = options.catchUpWaitMs ?? 20;
    this.#laggingCooldownMs = options.laggingCooldownMs ?? 1_000;
    this.#standby = new FollowingPool(topology, database, {
      ...options,
      target: 'prefer-standby',
      // a server rebuilt under the same name starts its replay afresh
      onSwitch: (server) => this.#replayed.delete(server.name),
    });
  }

  /** Where new reads go now (a standby, or the primary while none answers). */
  get server() {
    return this.#standby.server;
  }

  /** Where a connection handed out by this pool is connected (the primary's pool included). */
  servedBy(client: pg.PoolClient) {
    return this.#standby.servedBy(client) ?? this.#primary.servedBy(client);
  }

  async connect(): Promise<pg.PoolClient> {
    if (Date.now() < this.#laggingUntil) return this.#primary.connect();
    const client = await this.#standby.connect();
    const served = this.#standby.servedBy(client);
    if (!served || served.role === 'primary') return client;
    let caughtUp: boolean;
    try {
      caughtUp = await this.#caughtUp(client, served.server);
    } catch (error) {
      client.release(error as Error);
      return this.#primary.connect();
    }
    if (caughtUp) return client;
    client.release();
    this.#laggingUntil = Date.now() + this.#laggingCooldownMs;
    return this.#primary.connect();
  }

  async end(): Promise<void> {
    await this.#standby.end();
  }

  /**
   * Whether the standby has replayed every write this process acknowledged. The read that follows
   * runs in a later statement on the same connection, so its snapshot includes all that replay.
   */
  async #caughtUp(client: pg.PoolClient, server: PostgresServer): Promise<boolean> {
    const needed = await this.#watermark.position();
    if (needed === null) return false;
    if (needed <= (this.#replayed.get(server.name) ?? -1n)) return true;
    const deadline = Date.now() + this.#catchUpWaitMs;
    for (;;) {
      const { rows } = await client.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const row = rows[0]!;
      // promoted since the connection was made: it is the primary now
      if (!row.standby) return true;
      if (row.replayed !== null) {
        const replayed = parseLsn(row.replayed);
        if (replayed > (this.#replayed.get(server.name) ?? -1n)) this.#replayed.set(server.name, replayed);
        if (replayed >= needed) return true;
      }
      if (Date.now() >= deadline) return false;
      await sleep(1);
    }
  }
}
