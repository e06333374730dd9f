/**
 * The client directory in the coordinator database: which site holds each client, and each
 * client's email (unique across all sites). Directory changes take part in global transactions
 * as a prepared branch of the coordinator's own database, driven by the order machine like a
 * site's share (participant `directory`).
 */
import { sql, type Kysely } from 'kysely';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { isSiteId, type SiteId } from '../../lib/sites.ts';

/** One attempt's change of the directory, prepared under the attempt's gid. */
export interface DirectoryShare {
  prepare(gid: string): Promise<void>;
}

/** Finishing the directory's prepared branches (an attempt's, or one recovery found). */
export interface DirectoryBranches {
  commitPrepared(gid: string): Promise<void>;
  rollbackPrepared(gid: string): Promise<void>;
}

export async function sitesOfClients(db: Kysely<CoordinatorDatabase>, ids: number[]): Promise<Map<number, SiteId>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('client_site').select(['client_id', 'site']).where('client_id', 'in', ids).execute();
  return new Map(rows.filter((r) => isSiteId(r.site)).map((r) => [r.client_id, r.site as SiteId]));
}

export async function emailTaken(db: Kysely<CoordinatorDatabase>, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('client_site')
    .select('client_id')
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return row !== undefined;
}

export async function nextClientId(db: Kysely<CoordinatorDatabase>): Promise<number> {
  const { rows } = await sql<{ id: number }>`SELECT nextval('client_id_seq')::integer AS id`.execute(db);
  return rows[0]!.id;
}

/** A directory change run as a prepared transaction under the global gid. */
export function directoryShare(
  db: Kysely<CoordinatorDatabase>,
  change: (trx: Kysely<CoordinatorDatabase>) => Promise<void>,
): DirectoryShare {
  return {
    prepare: (gid) =>
      db.connection().execute(async (conn) => {
        await sql`BEGIN`.execute(conn);
        try {
          await change(conn);
          await sql`PREPARE TRANSACTION ${sql.lit(gid)}`.execute(conn);
        } catch (error) {
          await sql`ROLLBACK`.execute(conn).catch(() => {});
          throw error;
        }
      }),
  };
}

/** The directory's prepared branches in the coordinator database; one already finished is no error. */
export function directoryBranches(db: Kysely<CoordinatorDatabase>): DirectoryBranches {
  return {
    commitPrepared: (gid) => finishLocal(db, gid, 'COMMIT'),
    rollbackPrepared: (gid) => finishLocal(db, gid, 'ROLLBACK'),
  };
}

export async function finishLocal(db: Kysely<CoordinatorDatabase>, gid: string, verb: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  try {
    await sql`${sql.raw(verb)} PREPARED ${sql.lit(gid)}`.execute(db);
  } catch (error) {
    if ((error as { code?: string }).code !== '42704') throw error;
  }
}

/** The directory's prepared branches, each with its age by the coordinator database's own clock. */
export async function localInDoubt(db: Kysely<CoordinatorDatabase>): Promise<{ gid: string; preparedAt: string; ageMs: number }[]> {
  const { rows } = await sql<{ gid: string; prepared: Date; age_ms: number }>`
    SELECT gid, prepared, (extract(epoch from (now() - prepared)) * 1000)::float8 AS age_ms FROM pg_prepared_xacts
    WHERE database = current_database() AND gid LIKE 'tg:%' ORDER BY prepared`.execute(db);
  return rows.map((r) => ({ gid: r.gid, preparedAt: r.prepared.toISOString(), ageMs: Math.max(0, Math.floor(Number(r.age_ms))) }));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every site's copy of the directory (logical replication, subscriptions
 * `annuaire_vers_<site>`, cluster/logical-copies.ts) has applied everything the coordinator has
 * committed so far, so that a client's new site is known at every site once a move or a
 * registration answers. Read on the coordinator itself: each subscription's applied position as
 * its walsender last heard it. Returns false when `timeoutMs` passed first (a site away), which
 * leaves that site's copy to catch up when it is back.
 */
export async function awaitDirectoryCopies(db: Kysely<CoordinatorDatabase>, timeoutMs = 5_000): Promise<boolean> {
  const { rows } = await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(db);
  const lsn = rows[0]!.lsn;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows: behind } = await sql<{ n: number }>`
      SELECT count(*)::int AS n
      FROM pg_replication_slots s
      LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
      WHERE s.slot_type = 'logical' AND s.slot_name LIKE 'annuaire_vers_%'
        AND coalesce(greatest(r.replay_lsn, s.confirmed_flush_lsn), s.confirmed_flush_lsn, '0/0'::pg_lsn) < ${lsn}::pg_lsn`.execute(db);
    if (behind[0]!.n === 0) return true;
    if (Date.now() > deadline) return false;
    await pause(5);
  }
}
