/**
 * What the coordinator asks one site to do inside a global transaction. The same shape serves
 * orders, cancellations, client registration and client moves; a site applies it in one local
 * transaction, then prepares it (2PC) or commits it (one-site work, or the decision site).
 * It travels as JSON and is validated at the participant.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SITE_IDS } from '../sites.ts';

const id = z.number().int().positive().max(2_147_483_647);
const uuid = z.string().uuid();
const siteId = z.enum(SITE_IDS);

export const StockChangeSchema = z.object({
  productId: id,
  /** Negative takes stock (an order), positive returns it (a cancellation). */
  delta: z.number().int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, 'delta must not be 0'),
  /**
   * Timestamp strategy: the row version the coordinator's snapshot saw. The participant votes
   * CONFLICT if the row changed since, instead of writing over a quantity it did not allocate from.
   */
  expectedVersion: z.number().int().nonnegative().optional(),
  /**
   * The coordinator allocated this change from its site's local copy of this warehouse's stock
   * (logical replication, possibly behind): a shortfall here means the copy was stale, so the
   * participant votes CONFLICT (plan again from the warehouses themselves), not OUT_OF_STOCK.
   */
  guessed: z.boolean().optional(),
});

/**
 * How the participant takes its stock row locks. WAIT (the default) queues behind a holder for at
 * most the site's lock timeout; NOWAIT votes CONFLICT at once: an optimistic share whose rows are
 * held will find their version moved anyway (see subgraphs/orders/concurrency-control.ts).
 */
export const LockModeSchema = z.enum(['WAIT', 'NOWAIT']);

export const PaymentMethodSchema = z.enum(['WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY']);

export const OrderRecordSchema = z.object({
  id: uuid,
  clientId: id,
  total: z.number().int().nonnegative(),
  idempotencyKey: z.string().max(200).nullable(),
  payment: z.object({ method: PaymentMethodSchema, reference: z.string().min(1).max(200), amount: z.number().int().nonnegative() }),
  lines: z
    .array(z.object({ productId: id, quantity: z.number().int().positive(), unitPrice: z.number().int().nonnegative(), site: siteId }))
    .min(1),
});

const ClientRowSchema = z.object({ id, nom: z.string().min(1).max(200), ville: z.string().min(1).max(100), email: z.string().min(3).max(254) });

/** Everything a site holds about one client: moved as a whole between fragments. */
export const ClientExportSchema = z.object({
  client: ClientRowSchema,
  orders: z.array(
    z.object({
      commande: z.object({
        id: uuid,
        client_id: id,
        statut: z.enum(['CONFIRMEE', 'ANNULEE']),
        total: z.number().int().nonnegative(),
        idempotency_key: z.string().nullable(),
        gid: z.string().nullable(),
        created_at: z.string(),
      }),
      lignes: z.array(
        z.object({ commande_id: uuid, produit_id: id, site: siteId, quantite: z.number().int().positive(), prix_unitaire: z.number().int().nonnegative() }),
      ),
      paiement: z
        .object({
          commande_id: uuid,
          montant: z.number().int().nonnegative(),
          methode: PaymentMethodSchema,
          statut: z.enum(['AUTORISE', 'CAPTURE', 'ANNULE', 'REMBOURSE']),
          reference: z.string(),
          updated_at: z.string(),
        })
        .nullable(),
    }),
  ),
  /** The client's order intents (idempotency keys keep working after a move) and unfinished payment outbox rows. */
  intentions: z
    .array(
      z.object({
        commande_id: uuid,
        client_id: id,
        cle_idempotence: z.string().nullable(),
        empreinte: z.string(),
        statut: z.enum(['PENDING', 'CONFIRMED', 'FAILED']),
        code_erreur: z.string().nullable(),
        message_erreur: z.string().nullable(),
        montant: z.number().int().nonnegative(),
        methode: PaymentMethodSchema,
        bail: z.string(),
      }),
    )
    .optional(),
  sorties: z
    .array(
      z.object({
        commande_id: uuid,
        reference: z.string().nullable(),
        operation: z.enum(['CAPTURE', 'VOID', 'REFUND']),
        montant: z.number().int().nonnegative(),
      }),
    )
    .optional(),
});

export const ParticipantWorkSchema = z.object({
  /** Global transaction id; null for one-site work committed locally without 2PC. */
  gid: z.string().regex(/^tg:[a-z]+:[0-9a-f-]{36}:[a-z-]+$/).nullable(),
  /** The order the stock changes belong to (the warehouse ledger records it). */
  orderId: uuid.nullable(),
  motif: z.enum(['COMMANDE', 'ANNULATION']).nullable(),
  stock: z.array(StockChangeSchema).max(1000),
  lockMode: LockModeSchema.optional(),
  /** WAIT only: the longest wait for a row lock, when shorter than the site's lock timeout. */
  lockWaitMs: z.number().int().positive().max(60_000).optional(),
  createOrder: OrderRecordSchema.optional(),
  cancelOrder: uuid.optional(),
  insertClient: ClientExportSchema.optional(),
  deleteClient: id.optional(),
  /**
   * With deleteClient: the hash of the export the coordinator copies to the new site. The site
   * re-reads the client's data under the client's row lock and refuses (CONFLICT) if it changed,
   * so an order committed during the move is never deleted uncopied.
   */
  expectedExport: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * The caller's remaining budget in ms when it sent the work: past it this site commits nothing
   * (the caller has been told the order failed), and row-lock waits stop there.
   */
  budgetMs: z.number().int().positive().max(600_000).optional(),
});

export type StockChange = z.infer<typeof StockChangeSchema>;
export type OrderRecord = z.infer<typeof OrderRecordSchema>;
export type ClientExport = z.infer<typeof ClientExportSchema>;
export type ParticipantWork = z.infer<typeof ParticipantWorkSchema>;
export type PaymentMethod = z.infer<typeof PaymentMethodSchema>;
export type LockMode = z.infer<typeof LockModeSchema>;

/** A participant's answer (mirrors the `ParticipantVote` GraphQL type). */
export interface ParticipantVote {
  gid: string | null;
  ok: boolean;
  code: string | null;
  message: string | null;
  productId: string | null;
  available: number | null;
  existingOrderId: string | null;
}

export type TransactionKind = 'order' | 'cancel' | 'move' | 'register';

/**
 * Global transaction ids name their kind, the record they concern and the decision site — the
 * site whose local commit is the decision — so recovery can resolve a prepared transaction from
 * its gid alone: `tg:order:<order uuid>:<decision site>`.
 */
export function makeGid(kind: TransactionKind, recordId: string, decisionSite: string): string {
  return `tg:${kind}:${recordId}:${decisionSite}`;
}

export function parseGid(gid: string): { kind: TransactionKind; recordId: string; decisionSite: string } | null {
  const match = /^tg:(order|cancel|move|register):([0-9a-f-]{36}):([a-z-]+)$/.exec(gid);
  if (!match) return null;
  return { kind: match[1] as TransactionKind, recordId: match[2]!, decisionSite: match[3]! };
}

/** The hash of a client export as sent: the site compares it with its data under lock (deleteClient). */
export function exportHash(exported: string): string {
  return createHash('sha256').update(exported).digest('hex');
}
