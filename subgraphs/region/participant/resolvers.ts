/**
 * GraphQL resolvers of the participant API (@inaccessible in the supergraph). Only a caller that
 * presents the internal secret (the orders coordinator) may drive them.
 */
import type { Kysely } from 'kysely';
import type { Decision, SiteDatabase } from '../../../lib/db/tables.ts';
import { TerangaError } from '../../../lib/errors.ts';
import type { SiteId } from '../../../lib/sites.ts';
import { ParticipantWorkSchema, type ParticipantWork } from '../../../lib/twopc/work.ts';
import { FinalizeRequestSchema, OrderIntentSchema } from '../../../lib/twopc/intent.ts';
import { beginOrder, expiredIntents, finalizeOrder } from './intents.ts';
import { commitLocal, commitPrepared, decide, decisionOf, exportClient, inDoubt, prepare, pruneDecisions, rollbackPrepared, stockSnapshot, type ParticipantOptions } from './participant.ts';
import { paymentsToCheck } from './payment-checks.ts';
import type { StockCopies } from '../local-copies.ts';
import { WorkSlots } from './work-slots.ts';

export interface ParticipantContext {
  db: Kysely<SiteDatabase>;
  site: SiteId;
  /** The request presented the internal secret. */
  internalCaller: boolean;
  /** This site's copies of the other warehouses' stock (the first guess of an allocation). */
  stockCopies?: StockCopies;
}

function requireInternal(context: ParticipantContext): void {
  if (!context.internalCaller) {
    throw new TerangaError('FORBIDDEN', 'The participant API is internal: the caller did not present the internal secret');
  }
}

function parseJson<T>(json: string, schema: { safeParse(raw: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new TerangaError('BAD_USER_INPUT', `${what} is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new TerangaError('BAD_USER_INPUT', `Invalid ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
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

export interface ParticipantHooks {
  /** A commit wrote to the payment outbox: the relay should run. */
  outboxWritten?: () => void;
  /** Runs a relay pass now; resolves with the outbox rows it acknowledged. */
  relayNow?: () => Promise<number>;
}

export function participantResolvers(configured: ParticipantOptions, hooks: ParticipantHooks = {}) {
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
      _stockGuess: async (_: unknown, args: { productIds: string[] }, context: ParticipantContext) => {
        requireInternal(context);
        if (args.productIds.length > 1000) throw new TerangaError('BAD_USER_INPUT', 'At most 1000 products per guess');
        if (!context.stockCopies) throw new TerangaError('INTERNAL_SERVER_ERROR', 'This site keeps no stock copies');
        const ids = args.productIds.map(Number).filter((id) => Number.isInteger(id) && id > 0 && id <= 2_147_483_647);
        const figures = await context.stockCopies.figures(context.db, ids);
        return figures.map((f) => ({ productId: String(f.productId), site: f.site, quantity: f.quantity, version: f.version, live: f.live }));
      },
      _decision: async (_: unknown, args: { gid: string }, context: ParticipantContext) => {
        requireInternal(context);
        return decisionOf(context.db, checkGid(args.gid));
      },
      _paymentsToCheck: async (_: unknown, args: { olderThanMs: number }, context: ParticipantContext) => {
        requireInternal(context);
        if (!Number.isInteger(args.olderThanMs) || args.olderThanMs < 0) throw new TerangaError('BAD_USER_INPUT', 'olderThanMs must be a whole number ≥ 0');
        return JSON.stringify(await paymentsToCheck(context.db, context.site, args.olderThanMs));
      },
      _expiredIntents: async (_: unknown, __: unknown, context: ParticipantContext) => {
        requireInternal(context);
        return expiredIntents(context.db);
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
        const work = parseWork(args.work);
        const vote = await commitLocal(context.db, context.site, work, options);
        if (vote.ok && (work.createOrder || work.cancelOrder)) hooks.outboxWritten?.();
        return vote;
      },
      _beginOrder: async (_: unknown, args: { intent: string }, context: ParticipantContext) => {
        requireInternal(context);
        return JSON.stringify(await beginOrder(context.db, parseJson(args.intent, OrderIntentSchema, 'intent')));
      },
      _finalizeOrder: async (_: unknown, args: { request: string }, context: ParticipantContext) => {
        requireInternal(context);
        const outcome = await finalizeOrder(context.db, parseJson(args.request, FinalizeRequestSchema, 'finalize request'));
        if (outcome.status === 'FAILED') hooks.outboxWritten?.();
        return outcome.status;
      },
      _relayPayments: async (_: unknown, __: unknown, context: ParticipantContext) => {
        requireInternal(context);
        return hooks.relayNow ? hooks.relayNow() : 0;
      },
      _pruneDecisions: async (_: unknown, args: { keep: string[]; olderThanMs: number }, context: ParticipantContext) => {
        requireInternal(context);
        if (!Number.isInteger(args.olderThanMs) || args.olderThanMs < 0) throw new TerangaError('BAD_USER_INPUT', 'olderThanMs must be a whole number ≥ 0');
        return pruneDecisions(context.db, args.keep.map(checkGid), args.olderThanMs);
      },
      _commitPrepared: async (_: unknown, args: { gid: string }, context: ParticipantContext) => {
        requireInternal(context);
        const done = await commitPrepared(context.db, checkGid(args.gid));
        hooks.outboxWritten?.();
        return done;
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
