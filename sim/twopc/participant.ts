/**
 * A simulated site: the durable tables the order protocol touches (stock with its row locks,
 * prepared transactions, decision_2pc, intention_commande, commande, paiement, sortie_paiement)
 * and the participant API over them. Each call is one local transaction, applied at once; a crash
 * loses nothing durable (work not yet prepared never is, here). Mirrors subgraphs/region/participant.
 */
import type { SiteId } from '../../lib/sites.ts';
import type { OrderRequest, Vote } from '../../lib/twopc/machine/order-machine.ts';

export type StockDelta = readonly { productId: number; delta: number }[];

/** An order's intent as the client's site stores it: the request, less where it is stored. */
export interface Intent extends Omit<OrderRequest, 'clientSite'> {
  status: 'PENDING' | 'CONFIRMED' | 'FAILED';
  code: string | null;
  leaseUntil: number;
  /** The coordinator's run (its epoch) that holds the lease: a later run takes it over at once. */
  holder: number;
}

export interface OutboxRow {
  id: number;
  orderId: string;
  reference: string | null;
  operation: 'CAPTURE' | 'VOID' | 'REFUND';
  amount: number;
  status: 'PENDING' | 'DONE' | 'REJECTED';
}

export interface Commande {
  orderId: string;
  clientId: number;
  key: string | null;
  /** Lines by warehouse: what every site's stock must show for this order. */
  lines: ReadonlyMap<SiteId, StockDelta>;
}

export interface Prepared {
  orderId: string;
  deltas: StockDelta;
  preparedAt: number;
}

export type ClaimAnswer =
  | { outcome: 'NEW' | 'TAKEN_OVER' | 'CONFIRMED' | 'KEY_REUSED' | 'PENDING'; orderId: string }
  | { outcome: 'FAILED'; orderId: string; code: string };

export class SimParticipant {
  up = true;
  /** Incremented at each restart: a reply computed before a crash is not sent. */
  epoch = 0;
  readonly stock = new Map<number, number>();
  readonly initial = new Map<number, number>();
  /** product → the gid holding its row lock (a prepared transaction). */
  readonly locks = new Map<number, string>();
  readonly prepared = new Map<string, Prepared>();
  /** gids this site has prepared once: a late duplicate of a prepare is refused, not redone. */
  readonly seen = new Set<string>();
  /** gids a ROLLBACK PREPARED reached before any PREPARE of theirs (it found nothing to undo). */
  readonly rolledBackUnseen = new Set<string>();
  /** gids prepared after such a rollback: held prepared, their rows locked, until recovery ends them. */
  readonly preparedAfterRollback: string[] = [];
  readonly decisions = new Map<string, { decision: 'COMMIT' | 'ABORT'; at: number }>();
  readonly intents = new Map<string, Intent>();
  readonly commandes = new Map<string, Commande>();
  readonly paiements = new Map<string, { reference: string; status: 'AUTORISE' | 'CAPTURE' | 'ANNULE' }>();
  readonly outbox: OutboxRow[] = [];
  /** orderId → product → Σ delta applied at this site: the mouvement_stock ledger. */
  readonly moves = new Map<string, Map<number, number>>();
  /** Set when a write would make stock negative (a CHECK the real table enforces). */
  negative: string | null = null;
  private outboxId = 0;

  constructor(readonly id: SiteId) {}

  private lockedByOther(deltas: StockDelta, gid: string): boolean {
    return deltas.some((d) => {
      const holder = this.locks.get(d.productId);
      return holder !== undefined && holder !== gid;
    });
  }

  private short(deltas: StockDelta): boolean {
    return deltas.some((d) => (this.stock.get(d.productId) ?? 0) + d.delta < 0);
  }

  private apply(orderId: string, deltas: StockDelta): void {
    let moves = this.moves.get(orderId);
    if (!moves) this.moves.set(orderId, (moves = new Map()));
    for (const d of deltas) {
      const next = (this.stock.get(d.productId) ?? 0) + d.delta;
      if (next < 0) this.negative ??= `product ${d.productId} at ${this.id} would go to ${next}`;
      this.stock.set(d.productId, next);
      moves.set(d.productId, (moves.get(d.productId) ?? 0) + d.delta);
    }
  }

  claimIntent(request: Omit<Intent, 'status' | 'code'>, now: number): ClaimAnswer {
    if (request.key !== null) {
      for (const intent of this.intents.values()) {
        if (intent.clientId !== request.clientId || intent.key !== request.key) continue;
        if (intent.fingerprint !== request.fingerprint) return { outcome: 'KEY_REUSED', orderId: intent.orderId };
        if (intent.status === 'CONFIRMED') return { outcome: 'CONFIRMED', orderId: intent.orderId };
        if (intent.status === 'FAILED') return { outcome: 'FAILED', orderId: intent.orderId, code: intent.code ?? 'INTERNAL' };
        if (intent.orderId === request.orderId) return { outcome: 'NEW', orderId: intent.orderId }; // a duplicate of this claim
        if (intent.leaseUntil > now && request.holder <= intent.holder) return { outcome: 'PENDING', orderId: intent.orderId };
        intent.leaseUntil = request.leaseUntil;
        intent.holder = request.holder;
        return { outcome: 'TAKEN_OVER', orderId: intent.orderId };
      }
    }
    if (!this.intents.has(request.orderId)) this.intents.set(request.orderId, { ...request, status: 'PENDING', code: null });
    return { outcome: 'NEW', orderId: request.orderId };
  }

  prepare(gid: string, orderId: string, deltas: StockDelta, now: number): Vote {
    if (this.seen.has(gid)) return this.prepared.has(gid) ? { ok: true } : { ok: false, code: 'ABORTED' };
    this.seen.add(gid);
    if (this.lockedByOther(deltas, gid)) return { ok: false, code: 'CONFLICT' };
    if (this.short(deltas)) return { ok: false, code: 'OUT_OF_STOCK' };
    for (const d of deltas) this.locks.set(d.productId, gid);
    this.prepared.set(gid, { orderId, deltas, preparedAt: now });
    if (this.rolledBackUnseen.has(gid)) this.preparedAfterRollback.push(gid);
    return { ok: true };
  }

  /**
   * The decision transaction: the site's own stock, the order, its payment, the COMMIT decision,
   * the intent CONFIRMED and the CAPTURE outbox row — or a refusal, which records ABORT so that a
   * late duplicate of this call cannot commit afterwards.
   */
  commitLocal(gid: string, order: Commande & { reference: string; amount: number }, deltas: StockDelta, outbox: boolean, now: number): Vote {
    const decided = this.decisions.get(gid);
    if (decided) return decided.decision === 'COMMIT' ? { ok: true } : { ok: false, code: 'ABORTED' };
    const refuse = (code: string): Vote => {
      this.decisions.set(gid, { decision: 'ABORT', at: now });
      return { ok: false, code };
    };
    if (this.commandes.has(order.orderId)) return refuse('DUPLICATE');
    const intent = this.intents.get(order.orderId);
    if (!intent || intent.status !== 'PENDING') return refuse('ABORTED');
    if (this.lockedByOther(deltas, gid)) return refuse('CONFLICT');
    if (this.short(deltas)) return refuse('OUT_OF_STOCK');
    this.apply(order.orderId, deltas);
    this.commandes.set(order.orderId, { orderId: order.orderId, clientId: order.clientId, key: order.key, lines: order.lines });
    // without an outbox row (defect 5 planted) the old decision wrote the payment as captured
    this.paiements.set(order.orderId, { reference: order.reference, status: outbox ? 'AUTORISE' : 'CAPTURE' });
    this.decisions.set(gid, { decision: 'COMMIT', at: now });
    intent.status = 'CONFIRMED';
    if (outbox) this.outbox.push({ id: ++this.outboxId, orderId: order.orderId, reference: order.reference, operation: 'CAPTURE', amount: order.amount, status: 'PENDING' });
    return { ok: true };
  }

  decide(gid: string, decision: 'COMMIT' | 'ABORT', now: number): 'COMMIT' | 'ABORT' {
    const existing = this.decisions.get(gid);
    if (existing) return existing.decision;
    this.decisions.set(gid, { decision, at: now });
    return decision;
  }

  decisionOf(gid: string): 'COMMIT' | 'ABORT' | null {
    return this.decisions.get(gid)?.decision ?? null;
  }

  finish(gid: string, verb: 'COMMIT' | 'ROLLBACK'): void {
    const tx = this.prepared.get(gid);
    if (!tx) {
      if (verb === 'ROLLBACK' && !this.seen.has(gid)) this.rolledBackUnseen.add(gid);
      return; // already resolved: a retry, or recovery got there first
    }
    if (verb === 'COMMIT') this.apply(tx.orderId, tx.deltas);
    for (const d of tx.deltas) if (this.locks.get(d.productId) === gid) this.locks.delete(d.productId);
    this.prepared.delete(gid);
  }

  /** The final failure, guarded: only a PENDING intent whose order does not exist becomes FAILED. */
  finalize(orderId: string, code: string, voidPayment: boolean, reference: string | null, amount: number): 'FAILED' | 'CONFIRMED' {
    const intent = this.intents.get(orderId);
    if (this.commandes.has(orderId) || intent?.status === 'CONFIRMED') return 'CONFIRMED';
    if (!intent || intent.status === 'FAILED') return 'FAILED';
    intent.status = 'FAILED';
    intent.code = code;
    if (voidPayment) this.outbox.push({ id: ++this.outboxId, orderId, reference, operation: 'VOID', amount: intent.amount || amount, status: 'PENDING' });
    return 'FAILED';
  }

  expiredIntents(now: number): string[] {
    return [...this.intents.values()].filter((i) => i.status === 'PENDING' && i.leaseUntil <= now).map((i) => i.orderId);
  }

  /** Decision rows no share holds prepared anywhere and older than the retention: every participant acknowledged. */
  prune(keep: ReadonlySet<string>, now: number, retention: number): number {
    let pruned = 0;
    for (const [gid, d] of this.decisions) {
      if (keep.has(gid) || now - d.at < retention) continue;
      this.decisions.delete(gid);
      pruned++;
    }
    return pruned;
  }

  /** The relay's next row: the oldest PENDING one. */
  nextOutbox(): OutboxRow | undefined {
    return this.outbox.find((r) => r.status === 'PENDING');
  }

  settleOutbox(row: OutboxRow, acknowledged: boolean): void {
    if (row.status !== 'PENDING') return;
    row.status = acknowledged ? 'DONE' : 'REJECTED';
    const paiement = this.paiements.get(row.orderId);
    if (acknowledged && paiement) paiement.status = row.operation === 'CAPTURE' ? 'CAPTURE' : 'ANNULE';
  }
}
