/**
 * The order machine as the one two-phase commit of the coordinator: cancellations, registrations
 * and moves run its attempts without intent or payment, the directory's branch is a participant
 * like a site's share, and recovery feeds it the payment outbox. Rule by rule, as in
 * twopc-machine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DIRECTORY, newTransaction, paymentCheckState, paymentVerdict, settleState,
  type OrderEvent, type PaymentObservation,
} from '../lib/twopc/machine/order-machine.ts';
import { CONFIG, Script, types } from './support/machine-script.ts';

const GID = 'tg:cancel:00000000-0000-4000-8000-000000000001:dakar';
const GID2 = 'tg:cancel:00000000-0000-4000-8000-000000000002:dakar';
const cancel = () => new Script(newTransaction('order-5', 'dakar'));
const voted = (site: 'thies' | typeof DIRECTORY, ok: boolean | string, gid = GID): OrderEvent =>
  ({ type: 'voted', gid, site, vote: ok === true ? { ok: true } : { ok: false, code: String(ok) } });

describe('transaction machine: a global transaction without intent or payment', () => {
  it('starts with its first attempt: no intent is claimed, nothing is authorized', () => {
    const s = cancel();
    expect(s.on({ type: 'start' })).toEqual([{ type: 'plan-attempt', attempt: 1 }]);
    expect(s.phase).toBe('planning');
  });

  it('prepares the other shares, then the decision site commits its own work with the decision, writing no capture', () => {
    const s = cancel();
    s.run({ type: 'start' });
    expect(s.on({ type: 'planned', gid: GID, rounds: [['thies']] })).toEqual([{ type: 'prepare', site: 'thies', gid: GID, attempt: 1 }]);
    expect(s.on(voted('thies', true))).toEqual([{ type: 'commit-local', site: 'dakar', gid: GID, orderId: 'order-5', reference: null, outbox: false }]);
    expect(s.on({ type: 'local-committed', gid: GID, vote: { ok: true } })).toEqual([
      { type: 'reply', reply: { ok: true, orderId: 'order-5' } },
      { type: 'commit-prepared', site: 'thies', gid: GID },
    ]);
  });

  it('a CONFLICT is retried under a new gid after a backoff, as an order is', () => {
    const s = cancel();
    s.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [['thies']] });
    expect(types(s.on(voted('thies', 'CONFLICT')))).toEqual(['rollback-prepared']);
    expect(types(s.on({ type: 'finished', gid: GID, site: 'thies' }))).toEqual(['set-timer']);
    expect(s.on({ type: 'timer', name: 'retry' })).toEqual([{ type: 'plan-attempt', attempt: 2 }]);
    expect(types(s.on({ type: 'planned', gid: GID2, rounds: [['thies']] }))).toEqual(['prepare']);
  });

  it('attempts exhausted: the caller is told CONFLICT, and no intent is finalized', () => {
    const s = cancel();
    s.run({ type: 'start' });
    for (let attempt = 1; attempt <= CONFIG.maxAttempts; attempt++) {
      const gid = `tg:cancel:00000000-0000-4000-8000-00000000000${attempt}:dakar`;
      s.run({ type: 'planned', gid, rounds: [['thies']] }, voted('thies', 'CONFLICT', gid));
      const after = s.on({ type: 'finished', gid, site: 'thies' });
      if (attempt < CONFIG.maxAttempts) s.on({ type: 'timer', name: 'retry' });
      else expect(after).toEqual([{ type: 'reply', reply: { ok: false, code: 'CONFLICT' } }]);
    }
    expect(s.phase).toBe('done');
    expect(s.lines.join('\n')).not.toContain('finalize');
  });

  it('a definite refusal reaches the caller with its own code, unmapped, after the rollbacks', () => {
    const s = cancel();
    s.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [['thies']] }, voted('thies', true));
    expect(s.on({ type: 'local-committed', gid: GID, vote: { ok: false, code: 'NOT_FOUND' } })).toEqual([{ type: 'rollback-prepared', site: 'thies', gid: GID }]);
    expect(s.on({ type: 'finished', gid: GID, site: 'thies' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'NOT_FOUND' } }]);
  });

  it('a DUPLICATE vote is no earlier commit of a transaction: it is a refusal', () => {
    const s = cancel();
    s.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [] });
    expect(s.on({ type: 'local-committed', gid: GID, vote: { ok: false, code: 'DUPLICATE' } })).toEqual([{ type: 'reply', reply: { ok: false, code: 'DUPLICATE' } }]);
  });

  it('a decision site that answers its local commit with an error is fenced too; the ABORT that stands is an internal error, not an absence', () => {
    const s = cancel();
    s.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [] });
    expect(s.on({ type: 'local-unknown', gid: GID, error: true })).toEqual([{ type: 'decide', site: 'dakar', gid: GID, decision: 'ABORT' }]);
    expect(s.on({ type: 'decided', gid: GID, decision: 'ABORT' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'INTERNAL' } }]);
    const silent = cancel();
    silent.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [] }, { type: 'local-unknown', gid: GID });
    expect(silent.on({ type: 'decided', gid: GID, decision: 'ABORT' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'SITE_UNAVAILABLE' } }]);
  });

  it('an unclear decision is fenced with ABORT and settled by asking, never guessed', () => {
    const s = cancel();
    s.run({ type: 'start' }, { type: 'planned', gid: GID, rounds: [] });
    expect(s.on({ type: 'local-unknown', gid: GID })).toEqual([{ type: 'decide', site: 'dakar', gid: GID, decision: 'ABORT' }]);
    expect(s.on({ type: 'decided', gid: GID, decision: 'COMMIT' })).toEqual([{ type: 'reply', reply: { ok: true, orderId: 'order-5' } }]);
  });
});

describe('transaction machine: the directory is a participant like a site', () => {
  it('a registration prepares the directory first, then commits at the client site', () => {
    const s = new Script(newTransaction('reg-1', 'thies'));
    const gid = 'tg:register:00000000-0000-4000-8000-000000000009:thies';
    s.run({ type: 'start' });
    expect(s.on({ type: 'planned', gid, rounds: [[DIRECTORY]] })).toEqual([{ type: 'prepare', site: DIRECTORY, gid, attempt: 1 }]);
    expect(types(s.on({ type: 'voted', gid, site: DIRECTORY, vote: { ok: true } }))).toEqual(['commit-local']);
    expect(s.on({ type: 'local-committed', gid, vote: { ok: true } })).toEqual([
      { type: 'reply', reply: { ok: true, orderId: 'reg-1' } },
      { type: 'commit-prepared', site: DIRECTORY, gid },
    ]);
  });

  it('a duplicate email refused by the directory rolls its branch back and is reported as such, not retried', () => {
    const s = new Script(newTransaction('reg-1', 'thies'));
    const gid = 'tg:register:00000000-0000-4000-8000-000000000009:thies';
    s.run({ type: 'start' }, { type: 'planned', gid, rounds: [[DIRECTORY]] });
    expect(s.on({ type: 'voted', gid, site: DIRECTORY, vote: { ok: false, code: 'DUPLICATE_EMAIL' } })).toEqual([{ type: 'rollback-prepared', site: DIRECTORY, gid }]);
    expect(s.on({ type: 'finish-unknown', gid, site: DIRECTORY })).toEqual([{ type: 'reply', reply: { ok: false, code: 'DUPLICATE_EMAIL' } }]);
  });

  it('recovery settles a directory branch as it settles a share: ask the decision site, apply what it says', () => {
    const gid = 'tg:move:00000000-0000-4000-8000-000000000003:thies';
    const s = new Script(settleState(gid, DIRECTORY, 'thies', false));
    expect(s.lines.join('\n')).toContain(`ask-decision site=thies gid=${gid}`);
    expect(s.on({ type: 'decided', gid, decision: 'COMMIT' })).toEqual([{ type: 'commit-prepared', site: DIRECTORY, gid }]);
    s.on({ type: 'finished', gid, site: DIRECTORY });
    expect(s.phase).toBe('done');
  });

  it('an undecided old directory branch is fenced with ABORT at the decision site, then rolled back', () => {
    const gid = 'tg:move:00000000-0000-4000-8000-000000000003:thies';
    const s = new Script(settleState(gid, DIRECTORY, 'thies', true));
    expect(s.on({ type: 'decided', gid, decision: null })).toEqual([{ type: 'decide', site: 'thies', gid, decision: 'ABORT' }]);
    expect(s.on({ type: 'decided', gid, decision: 'ABORT' })).toEqual([{ type: 'rollback-prepared', site: DIRECTORY, gid }]);
  });
});

describe('order machine: recovery feeds it the payment outbox', () => {
  const seen = (over: Partial<PaymentObservation>): PaymentObservation => ({ orderId: 'order-7', site: 'dakar', order: 'CONFIRMEE', payment: 'AUTORISE', outbox: [], ...over });

  it('a decided order whose outbox row is unacknowledged: the site relay is run, nothing is judged before it is done', () => {
    const s = new Script(paymentCheckState(seen({ outbox: [{ operation: 'CAPTURE', status: 'PENDING' }] })));
    expect(s.lines.join('\n')).toContain('relay-payments site=dakar orderId=order-7');
    expect(s.on({ type: 'relayed', site: 'dakar' })).toEqual([]);
    expect(s.phase).toBe('done');
  });

  it('an order decided COMMIT whose payment is not captured and no outbox row will capture it is flagged', () => {
    const s = new Script(paymentCheckState(seen({ outbox: [] })));
    expect(s.lines.join('\n')).toContain('flag-payment site=dakar orderId=order-7 problem=CONFIRMED_NOT_CAPTURED');
    expect(s.on({ type: 'flagged', site: 'dakar' })).toEqual([]);
    expect(s.phase).toBe('done');
  });

  it('verdicts: relay first; a rejected row; confirmed but voided; cancelled but still captured; a payment in agreement needs nothing', () => {
    expect(paymentVerdict(seen({ outbox: [{ operation: 'CAPTURE', status: 'DONE' }, { operation: 'REFUND', status: 'PENDING' }], payment: 'CAPTURE', order: 'ANNULEE' }))).toEqual({ relay: true, problem: null });
    expect(paymentVerdict(seen({ outbox: [{ operation: 'CAPTURE', status: 'REJECTED' }] }))).toEqual({ relay: false, problem: 'REJECTED_BY_PROVIDER' });
    expect(paymentVerdict(seen({ payment: 'ANNULE', outbox: [{ operation: 'VOID', status: 'DONE' }] }))).toEqual({ relay: false, problem: 'CONFIRMED_NOT_CAPTURED' });
    expect(paymentVerdict(seen({ order: 'ANNULEE', payment: 'CAPTURE', outbox: [{ operation: 'CAPTURE', status: 'DONE' }] }))).toEqual({ relay: false, problem: 'CANCELLED_NOT_REFUNDED' });
    expect(paymentVerdict(seen({ payment: 'CAPTURE', outbox: [{ operation: 'CAPTURE', status: 'DONE' }] }))).toEqual({ relay: false, problem: null });
    // an order given up (no order row) whose void landed
    expect(paymentVerdict(seen({ order: null, payment: null, outbox: [{ operation: 'VOID', status: 'DONE' }] }))).toEqual({ relay: false, problem: null });
  });

  it('a payment in agreement gives a machine with nothing to do', () => {
    const s = new Script(paymentCheckState(seen({ payment: 'CAPTURE', outbox: [{ operation: 'CAPTURE', status: 'DONE' }] })));
    expect(s.lines).toEqual([]);
    expect(s.phase).toBe('done');
  });
});
