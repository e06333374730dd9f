/**
 * The two-phase-commit participant of one site: runs its share of a global transaction on one
 * pinned connection, then PREPAREs it (2PC) or commits it locally (one-site work, or the decision
 * site whose local commit records the COMMIT decision). Prepared transactions survive a crash of
 * this server and a standby promotion; the coordinator or its recovery later resolves them.
 */
import { sql, type Kysely } from 'kysely';
import type { SiteDatabase } from '../../../lib/db/tables.ts';
import type { SiteId } from '../../../lib/sites.ts';
import type { Decision } from '../../../lib/db/tables.ts';
import type { ParticipantVote, ParticipantWork } from '../../../lib/twopc/work.ts';
import { applyWork, type Refusal } from './apply-work.ts';
import type { WorkSlots } from './work-slots.ts';

export interface ParticipantOptions {
  /** Longest wait for a row lock; past it the participant votes CONFLICT (breaks distributed deadlocks). */
  lockTimeoutMs: number;
  /** Shares run at once (see work-slots.ts); waiting for one counts against the lock timeout. */
  slots?: WorkSlots;
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const UNDEFINED_OBJECT = '42704';

function vote(gid: string | null, refusal: Refusal | null): ParticipantVote {
  return {
    gid,
    ok: refusal === null,
    code: refusal?.code ?? null,
    message: refusal?.message ?? null,
    productId: refusal?.productId !== undefined ? String(refusal.productId) : null,
    available: refusal?.available ?? null,
    existingOrderId: refusal?.existingOrderId ?? null,
  };
}

/** A text literal for a statement sent without parameters (a grouped message). */
function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('A literal cannot hold NUL');
  return `'${text.replace(/'/g, "''")}'`;
}

class DeadlinePassed extends Error {}
/** The gid already has a decision or a finished share here: its PREPARE is a duplicate or late. */
class AlreadyDecided extends Error {}

function refusalFromError(error: unknown): Refusal | null {
  const code = (error as { code?: string }).code;
  const constraint = (error as { constraint?: string }).constraint;
  if (code === LOCK_NOT_AVAILABLE || code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE) {
    return { code: 'CONFLICT', message: 'Concurrent transactions hold the stock rows; retry' };
  }
  if (code === UNIQUE_VIOLATION && constraint === 'decision_2pc_pkey') {
    return { code: 'ABORTED', message: 'The transaction was already decided (aborted by recovery)' };
  }
  if (code === UNIQUE_VIOLATION && constraint === 'client_email_key') {
    return { code: 'DUPLICATE_EMAIL', message: 'This email is already registered at this site' };
  }
  if (code === UNIQUE_VIOLATION || code === FOREIGN_KEY_VIOLATION) {
    return { code: 'CONFLICT', message: `Constraint ${constraint ?? ''} refused the change` };
  }
  return null;
}

/**
 * Runs the work in its own transaction on one connection; `finish` ends it (PREPARE or COMMIT).
 * kysely's transaction helper would COMMIT itself, which PREPARE TRANSACTION forbids.
 */
async function runWork(
  db: Kysely<SiteDatabase>,
  site: SiteId,
  work: ParticipantWork,
  options: ParticipantOptions,
  finish: (conn: Kysely<SiteDatabase>) => Promise<void>,
): Promise<ParticipantVote> {
  const received = Date.now();
  const release = options.slots ? await options.slots.acquire(Math.min(options.lockTimeoutMs, work.budgetMs ?? Infinity)) : () => {};
  if (!release) return vote(work.gid, { code: 'CONFLICT', message: 'The site is busy with concurrent orders on the same stock; retry' });
  try {
    const budgetLeft = work.budgetMs === undefined ? undefined : work.budgetMs - (Date.now() - received);
    if (budgetLeft !== undefined && budgetLeft <= 0) return vote(work.gid, { code: 'DEADLINE_EXCEEDED', message: 'The caller’s deadline passed before this site could start' });
    return await runWorkOnConnection(db, site, { ...work, budgetMs: budgetLeft }, options, async (conn) => {
      // the caller stops waiting at its deadline and reports a failure: commit nothing after it
      if (work.budgetMs !== undefined && Date.now() - received >= work.budgetMs) throw new DeadlinePassed();
      await finish(conn);
    });
  } finally {
    release();
  }
}

function runWorkOnConnection(
  db: Kysely<SiteDatabase>,
  site: SiteId,
  work: ParticipantWork,
  options: ParticipantOptions,
  finish: (conn: Kysely<SiteDatabase>) => Promise<void>,
): Promise<ParticipantVote> {
  const lockTimeoutMs = Math.max(1, Math.floor(Math.min(options.lockTimeoutMs, work.lockWaitMs ?? Infinity, work.budgetMs ?? Infinity)));
  return db.connection().execute(async (conn) => {
    try {
      // one round trip: a message without parameters may hold several statements
      await sql.raw(`BEGIN; SET LOCAL lock_timeout = '${lockTimeoutMs}ms'`).execute(conn);
      const refusal = await applyWork(conn, site, work);
      if (refusal) {
        await sql`ROLLBACK`.execute(conn);
        return vote(work.gid, refusal);
      }
      await finish(conn);
      return vote(work.gid, null);
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => {});
      if (error instanceof DeadlinePassed) return vote(work.gid, { code: 'DEADLINE_EXCEEDED', message: 'The caller’s deadline passed: nothing was committed' });
      if (error instanceof AlreadyDecided) return vote(work.gid, { code: 'ABORTED', message: 'This transaction was already decided here: a late or duplicated PREPARE is refused' });
      const refusal = refusalFromError(error);
      if (refusal) return vote(work.gid, refusal);
      throw error;
    }
  });
}

/** Phase 1: do the work and PREPARE it; the vote is yes only once the prepare is durable. */
export function prepare(db: Kysely<SiteDatabase>, site: SiteId, work: ParticipantWork, options: ParticipantOptions) {
  if (!work.gid) throw new Error('prepare needs a gid');
  const gid = work.gid;
  return runWork(db, site, work, options, async (conn) => {
    // read after the work took its row locks: a COMMIT PREPARED of this gid that held them has
    // recorded itself by then (finishPrepared), so a duplicate cannot apply the share twice
    const decided = await conn.selectFrom('decision_2pc').select('gid').where('gid', '=', gid).executeTakeFirst();
    if (decided) throw new AlreadyDecided();
    await sql`PREPARE TRANSACTION ${sql.lit(gid)}`.execute(conn);
  });
}

/**
 * One-phase commit: the whole work of a one-site transaction, or the decision site's share of a
 * global one — then its COMMIT decision is written in the same local transaction, so the decision
 * is durable exactly when this site's work is.
 */
export function commitLocal(db: Kysely<SiteDatabase>, site: SiteId, work: ParticipantWork, options: ParticipantOptions) {
  return runWork(db, site, work, options, async (conn) => {
    // the decision and the commit in one round trip; a refused INSERT (a decision already there)
    // stops the message before its COMMIT, and the caller rolls back
    if (work.gid) await sql.raw(`INSERT INTO decision_2pc (gid, decision) VALUES (${quoteLiteral(work.gid)}, 'COMMIT'); COMMIT`).execute(conn);
    else await sql`COMMIT`.execute(conn);
  });
}

async function finishPrepared(db: Kysely<SiteDatabase>, gid: string, verb: 'COMMIT' | 'ROLLBACK'): Promise<boolean> {
  // a committed share is recorded first (it is the decision's outcome, known before this call):
  // a late or duplicated PREPARE of the gid finds it and is refused. A rolled-back one needs no
  // record: a late PREPARE of it finds no COMMIT anywhere and is rolled back (presumed abort).
  if (verb === 'COMMIT') await db.insertInto('decision_2pc').values({ gid, decision: 'COMMIT' }).onConflict((oc) => oc.column('gid').doNothing()).execute();
  try {
    await sql`${sql.raw(verb)} PREPARED ${sql.lit(gid)}`.execute(db);
    return true;
  } catch (error) {
    // already resolved (a retry, or recovery got there first)
    if ((error as { code?: string }).code === UNDEFINED_OBJECT) return true;
    throw error;
  }
}

export const commitPrepared = (db: Kysely<SiteDatabase>, gid: string) => finishPrepared(db, gid, 'COMMIT');
export const rollbackPrepared = (db: Kysely<SiteDatabase>, gid: string) => finishPrepared(db, gid, 'ROLLBACK');

/**
 * Records a decision unless one exists and returns the one that holds. Recovery calls it with
 * ABORT for an undecided transaction: if the decision site's commit is still in flight, the
 * primary key makes this wait for it, so the two can never disagree.
 */
export async function decide(db: Kysely<SiteDatabase>, gid: string, decision: Decision): Promise<Decision> {
  await db.insertInto('decision_2pc').values({ gid, decision }).onConflict((oc) => oc.column('gid').doNothing()).execute();
  const row = await db.selectFrom('decision_2pc').select('decision').where('gid', '=', gid).executeTakeFirstOrThrow();
  return row.decision as Decision;
}

/**
 * The coordinator's snapshot of this warehouse before it allocates: quantities and row versions,
 * read without locks. The timestamp strategy sends the versions back with the work to be checked.
 */
export async function stockSnapshot(db: Kysely<SiteDatabase>, productIds: number[]): Promise<{ productId: number; quantity: number; version: number }[]> {
  if (productIds.length === 0) return [];
  const rows = await db.selectFrom('stock').select(['produit_id', 'quantite', 'version']).where('produit_id', 'in', productIds).execute();
  return rows.map((r) => ({ productId: r.produit_id, quantity: r.quantite, version: Number(r.version) }));
}

/** Prepared transactions of this site, with their age measured by this server's own clock. */
export async function inDoubt(db: Kysely<SiteDatabase>): Promise<{ gid: string; preparedAt: string; ageMs: number }[]> {
  const { rows } = await sql<{ gid: string; prepared: Date; age_ms: number }>`
    SELECT gid, prepared, (extract(epoch from (now() - prepared)) * 1000)::float8 AS age_ms FROM pg_prepared_xacts
    WHERE database = current_database() AND gid LIKE 'tg:%' ORDER BY prepared`.execute(db);
  return rows.map((r) => ({ gid: r.gid, preparedAt: r.prepared.toISOString(), ageMs: Math.max(0, Math.floor(Number(r.age_ms))) }));
}

/** The decision recorded for gid, or null: a read that fences nothing (recovery asks it first). */
export async function decisionOf(db: Kysely<SiteDatabase>, gid: string): Promise<Decision | null> {
  const row = await db.selectFrom('decision_2pc').select('decision').where('gid', '=', gid).executeTakeFirst();
  return (row?.decision as Decision | undefined) ?? null;
}

/**
 * Deletes decision rows older than `olderThanMs` (this server's clock) whose gid no site still
 * holds prepared (`keep`, read by the caller beforehand): every participant has acknowledged.
 * A COMMIT is written only after every share prepared, so a share listed before cannot be
 * missing from `keep`; a late share of an ABORT finds no decision and is rolled back (presumed abort).
 */
export async function pruneDecisions(db: Kysely<SiteDatabase>, keep: readonly string[], olderThanMs: number): Promise<number> {
  let query = db.deleteFrom('decision_2pc').where('decided_at', '<', sql<Date>`now() - ${`${olderThanMs} milliseconds`}::interval`);
  if (keep.length > 0) query = query.where('gid', 'not in', keep);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export { exportClient } from './export.ts';
