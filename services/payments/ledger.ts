/**
 * The provider's ledger in its own PostgreSQL database: authorizations keyed by the caller's
 * Idempotency-Key, and every transition they went through. Each transition is one conditional
 * UPDATE, so concurrent or repeated calls apply it once; a repeat of a transition already made
 * answers the payment as it is (idempotent), an impossible one changes nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase, TransactionStatut } from '../../lib/db/tables.ts';
import type { PaymentMethod } from '../../lib/twopc/work.ts';

export interface Payment {
  reference: string;
  orderId: string;
  amount: number;
  currency: 'XOF';
  method: PaymentMethod;
  status: TransactionStatut;
}

export interface AuthorizeRequest {
  amount: number;
  currency: 'XOF';
  method: PaymentMethod;
  orderId: string;
}

export type AuthorizeResult = { kind: 'created' | 'replayed'; payment: Payment } | { kind: 'key-reused'; payment: Payment };

export type Transition = 'capture' | 'void' | 'refund';

/** From → to of each transition; the target state itself is accepted again (idempotent). */
const TRANSITIONS: Readonly<Record<Transition, { from: TransactionStatut; to: TransactionStatut; operation: 'CAPTURE' | 'VOID' | 'REFUND' }>> = {
  capture: { from: 'AUTHORIZED', to: 'CAPTURED', operation: 'CAPTURE' },
  void: { from: 'AUTHORIZED', to: 'VOIDED', operation: 'VOID' },
  refund: { from: 'CAPTURED', to: 'REFUNDED', operation: 'REFUND' },
};

export type TransitionResult = { kind: 'applied' | 'already'; payment: Payment } | { kind: 'conflict'; payment: Payment } | { kind: 'not-found' };

/** The request's fingerprint: the same key must come with the same body. */
export function fingerprintOf(request: AuthorizeRequest): string {
  return createHash('sha256').update(JSON.stringify([request.amount, request.currency, request.method, request.orderId])).digest('hex');
}

const COLUMNS = ['reference', 'commande_id', 'montant', 'devise', 'methode', 'statut'] as const;

function toPayment(row: { reference: string; commande_id: string; montant: number; devise: 'XOF'; methode: PaymentMethod; statut: TransactionStatut }): Payment {
  return { reference: row.reference, orderId: row.commande_id, amount: Number(row.montant), currency: row.devise, method: row.methode, status: row.statut };
}

export class Ledger {
  constructor(private readonly db: Kysely<PaymentsDatabase>) {}

  async authorize(key: string, request: AuthorizeRequest): Promise<AuthorizeResult> {
    const fingerprint = fingerprintOf(request);
    const reference = `pay_${randomUUID().replace(/-/g, '')}`;
    const created = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('transaction_paiement')
        .values({
          reference,
          cle_idempotence: key,
          empreinte: fingerprint,
          commande_id: request.orderId,
          montant: request.amount,
          devise: request.currency,
          methode: request.method,
          statut: 'AUTHORIZED',
        })
        // a concurrent call with the same key waits on the unique index, then finds its row
        .onConflict((oc) => oc.column('cle_idempotence').doNothing())
        .returning(COLUMNS)
        .executeTakeFirst();
      if (row) await trx.insertInto('operation_paiement').values({ reference, operation: 'AUTHORIZE' }).execute();
      return row;
    });
    if (created) return { kind: 'created', payment: toPayment(created) };
    const existing = await this.db
      .selectFrom('transaction_paiement')
      .select([...COLUMNS, 'empreinte'])
      .where('cle_idempotence', '=', key)
      .executeTakeFirstOrThrow();
    return { kind: existing.empreinte === fingerprint ? 'replayed' : 'key-reused', payment: toPayment(existing) };
  }

  async transition(reference: string, transition: Transition): Promise<TransitionResult> {
    const { from, to, operation } = TRANSITIONS[transition];
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('transaction_paiement')
        .set({ statut: to, updated_at: new Date() })
        .where('reference', '=', reference)
        .where('statut', '=', from)
        .returning(COLUMNS)
        .executeTakeFirst();
      if (moved) {
        await trx.insertInto('operation_paiement').values({ reference, operation }).execute();
        return { kind: 'applied', payment: toPayment(moved) } as const;
      }
      const current = await trx.selectFrom('transaction_paiement').select(COLUMNS).where('reference', '=', reference).executeTakeFirst();
      if (!current) return { kind: 'not-found' } as const;
      return { kind: current.statut === to ? 'already' : 'conflict', payment: toPayment(current) } as const;
    });
  }

  async byReference(reference: string): Promise<Payment | null> {
    const row = await this.db.selectFrom('transaction_paiement').select(COLUMNS).where('reference', '=', reference).executeTakeFirst();
    return row ? toPayment(row) : null;
  }

  async byOrder(orderId: string): Promise<Payment[]> {
    const rows = await this.db.selectFrom('transaction_paiement').select(COLUMNS).where('commande_id', '=', orderId).orderBy('created_at').execute();
    return rows.map(toPayment);
  }

  /** Every payment with the number of captures it received, for reconciliation. */
  async all(): Promise<(Payment & { captures: number })[]> {
    const rows = await this.db
      .selectFrom('transaction_paiement as t')
      .select([...COLUMNS.map((c) => `t.${c}` as const)])
      .select((eb) =>
        eb.selectFrom('operation_paiement as o').whereRef('o.reference', '=', 't.reference').where('o.operation', '=', 'CAPTURE').select(eb.fn.countAll<number>().as('n')).as('captures'),
      )
      .orderBy('t.created_at')
      .execute();
    return rows.map((r) => ({ ...toPayment(r), captures: Number(r.captures ?? 0) }));
  }
}
