/**
 * GraphQL resolvers of the participant API (@inaccessible in the supergraph). Only a caller that
 * presents the internal secret (the orders coordinator) may drive them.
 */
import type { Kysely } from 'kysely';
import type { Decision, SiteDatabase } from '../../../lib/db/tables.ts';
import { TerangaError } from '../../../lib/errors.ts';
import type { SiteId } from '../../../lib/sites.ts';
import { ParticipantWorkSchema, type ParticipantWork } from '../../../lib/twopc/work.ts';
import { commitLocal, commitPrepared, decide, exportClient, inDoubt, prepare, rollbackPrepared, stockSnapshot, type ParticipantOptions } from './participant.ts';
import { WorkSlots } from './work-slots.ts';

export interface ParticipantContext {
  db: Kysely<SiteDatabase>;
  site: SiteId;
  /** The request presented the internal secret. */
  internalCaller: boolean;
}

function requireInternal(context: ParticipantContext): void {
  if (!context.internalCaller) {
    throw new TerangaError('FORBIDDEN', 'The participant API is internal: the caller did not present the internal secret');
  }
}

function parseWork(json: string): ParticipantWork {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new TerangaError('BAD_USER_INPUT', 'work is not JSON');
  }
  const parsed = ParticipantWorkSchema.safeParse(raw);
  if (!parsed.success) throw new TerangaError('BAD_USER_INPUT', `Invalid work: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const GID = /^tg:[a-z]+:[0-9a-f-]{36}:[a-z-]+$/;

function checkGid(gid: string): string {
  if (!GID.test(gid)) throw new TerangaError('BAD_USER_INPUT', `Invalid gid ${gid}`);
  return gid;
}

/** Below the primary pool's 10 connections: phase 2 and reads keep some (see work-slots.ts). */
export const DEFAULT_CONCURRENT_SHARES = 6;

export function participantResolvers(configured: ParticipantOptions) {
  const options: ParticipantOptions = { ...configured, slots: configured.slots ?? new WorkSlots(DEFAULT_CONCURRENT_SHARES) };
  return {
    Query: {
      _inDoubt: async (_: unknown, __: unknown, context: ParticipantContext) => {
        requireInternal(context);
        return inDoubt(context.db);
      },
      _stockSnapshot: async (_: unknown, args: { productIds: string[] }, context: ParticipantContext) => {
        requireInternal(context);
        if (args.productIds.length > 1000) throw new TerangaError('BAD_USER_INPUT', 'At most 1000 products per snapshot');
        const ids = args.productIds.map(Number).filter((id) => Number.isInteger(id) && id > 0 && id <= 2_147_483_647);
        return (await stockSnapshot(context.db, ids)).map((s) => ({ ...s, productId: String(s.productId) }));
      },
      _exportClient: async (_: unknown, args: { id: string }, context: ParticipantContext) => {
        requireInternal(context);
        const id = Number(args.id);
        return Number.isInteger(id) && id > 0 ? exportClient(context.db, id) : null;
      },
      _orderByIdempotencyKey: async (_: unknown, args: { clientId: string; key: string }, context: ParticipantContext) => {
        requireInternal(context);
        const clientId = Number(args.clientId);
        if (!Number.isInteger(clientId) || clientId <= 0) return null;
        const row = await context.db
          .selectFrom('commande')
          .select('id')
          .where('client_id', '=', clientId)
          .where('idempotency_key', '=', args.key)
          .executeTakeFirst();
        return row?.id ?? null;
      },
    },
    Mutation: {
      _prepare: async (_: unknown, args: { work: string }, context: ParticipantContext) => {
        requireInternal(context);
        return prepare(context.db, context.site, parseWork(args.work), options);
      },
      _commitLocal: async (_: unknown, args: { work: string }, context: ParticipantContext) => {
        requireInternal(context);
        return commitLocal(context.db, context.site, parseWork(args.work), options);
      },
      _commitPrepared: async (_: unknown, args: { gid: string }, context: ParticipantContext) => {
        requireInternal(context);
        return commitPrepared(context.db, checkGid(args.gid));
      },
      _rollbackPrepared: async (_: unknown, args: { gid: string }, context: ParticipantContext) => {
        requireInternal(context);
        return rollbackPrepared(context.db, checkGid(args.gid));
      },
      _decide: async (_: unknown, args: { gid: string; decision: string }, context: ParticipantContext) => {
        requireInternal(context);
        if (args.decision !== 'COMMIT' && args.decision !== 'ABORT') throw new TerangaError('BAD_USER_INPUT', 'decision is COMMIT or ABORT');
        return decide(context.db, checkGid(args.gid), args.decision as Decision);
      },
    },
  };
}
