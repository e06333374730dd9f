/**
 * The order machine, rule by rule (in the manner of etcd raft's raft_paper_test): each test
 * scripts the events one rule is about and checks the actions the machine asks for.
 */
import { describe, expect, it } from 'vitest';
import { abandonedState, newOrder, settleState, step, type OrderEvent, type OrderState } from '../lib/twopc/machine/order-machine.ts';
import { CONFIG, GID1, GID2, REQUEST, Script, toPrepares, types } from './support/machine-script.ts';

const yes = (site: 'thies' | 'saint-louis', gid = GID1): OrderEvent => ({ type: 'voted', gid, site, vote: { ok: true } });
const finished = (site: 'thies' | 'saint-louis', gid = GID1): OrderEvent => ({ type: 'finished', gid, site });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('order machine: intent and authorization', () => {
  it('records the intent at the client site before anything else', () => {
    const s = new Script();
    expect(s.on({ type: 'start' })).toEqual([{ type: 'claim-intent', site: 'dakar', orderId: 'order-1' }]);
  });

  it('authorizes once per order, keyed by the order id (not by the customer key)', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' });
    expect(actions).toEqual([{ type: 'authorize', orderId: 'order-1', key: 'order-1', amount: 5000, method: 'WAVE' }]);
  });

  it('a taken-over intent keeps the existing order id, so the same authorization comes back', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'TAKEN_OVER', orderId: 'order-0' });
    expect(actions).toEqual([{ type: 'authorize', orderId: 'order-0', key: 'order-0', amount: 5000, method: 'WAVE' }]);
  });

  it('same key, confirmed: answers with the existing order and does nothing else', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'CONFIRMED', orderId: 'order-0' });
    expect(actions).toEqual([{ type: 'reply', reply: { ok: true, orderId: 'order-0' } }]);
    expect(s.phase).toBe('done');
  });

  it('same key, other request: IDEMPOTENCY_KEY_REUSED, nothing changed', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'KEY_REUSED', orderId: 'order-0' });
    expect(actions).toEqual([{ type: 'reply', reply: { ok: false, code: 'IDEMPOTENCY_KEY_REUSED' } }]);
  });

  it('same key, still driven by another call: asks again after a timer, gives up pending at the deadline', () => {
    const s = new Script();
    expect(types(s.run({ type: 'start' }, { type: 'intent', outcome: 'PENDING', orderId: 'order-0' }))).toEqual(['set-timer']);
    expect(types(s.on({ type: 'timer', name: 'intent' }))).toEqual(['claim-intent']);
    s.on({ type: 'deadline' });
    expect(s.on({ type: 'timer', name: 'intent' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'SITE_UNAVAILABLE' } }]);
  });

  it('a declined payment finalizes the intent FAILED, with nothing to void', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' }, { type: 'declined' });
    expect(actions).toEqual([{ type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'PAYMENT_DECLINED', voidPayment: false, reference: null }]);
  });

  it('an order the warehouses cannot serve is refused right after the claim, before anything is authorized', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1', refusal: 'OUT_OF_STOCK' });
    expect(actions).toEqual([{ type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'OUT_OF_STOCK', voidPayment: false, reference: null }]);
  });

  it('refusal codes reach the caller and the intent through the configured mapping', () => {
    const s = new Script(newOrder(REQUEST), { ...CONFIG, failureCode: (code) => (code === 'INTERNAL' ? 'INTERNAL_SERVER_ERROR' : code) });
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'INTERNAL' } }, { type: 'finished', gid: GID1, site: 'thies' }, yes('saint-louis'));
    expect(s.on({ type: 'finished', gid: GID1, site: 'saint-louis' })).toEqual([
      { type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'INTERNAL_SERVER_ERROR', voidPayment: true, reference: 'pay_1' },
    ]);
  });

  it('an unanswered provider is retried, then the order fails with a VOID of a reference it never learnt', () => {
    const s = new Script();
    s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' });
    expect(types(s.on({ type: 'authorize-unknown' }))).toEqual(['set-timer']);
    expect(types(s.on({ type: 'timer', name: 'authorize' }))).toEqual(['authorize']);
    expect(s.on({ type: 'authorize-unknown' })).toEqual([
      { type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'PAYMENT_UNAVAILABLE', voidPayment: true, reference: null },
    ]);
  });

  it('never builds an order on an authorization that is voided already', () => {
    const s = new Script();
    const actions = s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' }, { type: 'authorized', reference: 'pay_1', status: 'VOIDED' });
    expect(actions).toEqual([{ type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'PAYMENT_DECLINED', voidPayment: false, reference: 'pay_1' }]);
  });
});

describe('order machine: one attempt', () => {
  it('prepares every share of a round in parallel', () => {
    const s = new Script();
    expect(s.run(...toPrepares())).toEqual([
      { type: 'prepare', site: 'thies', gid: GID1, attempt: 1 },
      { type: 'prepare', site: 'saint-louis', gid: GID1, attempt: 1 },
    ]);
  });

  it('the decision is the client site’s local commit, sent only once every share voted yes, with the outbox', () => {
    const s = new Script();
    s.run(...toPrepares());
    expect(s.on(yes('thies'))).toEqual([]);
    expect(s.on(yes('saint-louis'))).toEqual([{ type: 'commit-local', site: 'dakar', gid: GID1, orderId: 'order-1', reference: 'pay_1', outbox: true }]);
  });

  it('ordered rounds: the next round starts only after every yes of the previous one', () => {
    const s = new Script();
    s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' }, { type: 'authorized', reference: 'pay_1', status: 'AUTHORIZED' });
    expect(types(s.on({ type: 'planned', gid: GID1, rounds: [['thies'], ['saint-louis']] }))).toEqual(['prepare']);
    expect(s.on(yes('thies'))).toEqual([{ type: 'prepare', site: 'saint-louis', gid: GID1, attempt: 1 }]);
  });

  it('a one-site order has no prepare: its local commit is the decision', () => {
    const s = new Script();
    s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' }, { type: 'authorized', reference: 'pay_1', status: 'AUTHORIZED' });
    expect(types(s.on({ type: 'planned', gid: GID1, rounds: [] }))).toEqual(['commit-local']);
    expect(s.on({ type: 'local-committed', gid: GID1, vote: { ok: true } })).toEqual([{ type: 'reply', reply: { ok: true, orderId: 'order-1' } }]);
    expect(s.phase).toBe('done');
  });

  it('after the decision: COMMIT PREPARED at every prepared share, and the caller is told confirmed', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'));
    expect(s.on({ type: 'local-committed', gid: GID1, vote: { ok: true } })).toEqual([
      { type: 'reply', reply: { ok: true, orderId: 'order-1' } },
      { type: 'commit-prepared', site: 'thies', gid: GID1 },
      { type: 'commit-prepared', site: 'saint-louis', gid: GID1 },
    ]);
    s.run(finished('thies'), finished('saint-louis'));
    expect(s.phase).toBe('done');
  });

  it('an unanswered COMMIT PREPARED is retried, then left to recovery', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'), { type: 'local-committed', gid: GID1, vote: { ok: true } }, finished('thies'));
    expect(s.on({ type: 'finish-unknown', gid: GID1, site: 'saint-louis' })).toEqual([{ type: 'commit-prepared', site: 'saint-louis', gid: GID1 }]);
    expect(s.on({ type: 'finish-unknown', gid: GID1, site: 'saint-louis' })).toEqual([]);
    expect(s.phase).toBe('done');
  });

  it('a prepare whose answer is lost is rolled back too: a timeout may hide a yes', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'));
    expect(s.on({ type: 'prepare-unknown', gid: GID1, site: 'saint-louis' })).toEqual([
      { type: 'rollback-prepared', site: 'thies', gid: GID1 },
      { type: 'rollback-prepared', site: 'saint-louis', gid: GID1 },
    ]);
  });

  it('a refusal rolls back a share still preparing once its vote is in, never before it: a rollback that overtook its PREPARE would leave it prepared', () => {
    const s = new Script();
    s.run(...toPrepares());
    // Saint-Louis' PREPARE may still be running, or not have begun
    expect(s.on({ type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } })).toEqual([{ type: 'rollback-prepared', site: 'thies', gid: GID1 }]);
    expect(s.on(finished('thies'))).toEqual([]);
    expect(s.phase).toBe('aborting');
    expect(s.on(yes('saint-louis'))).toEqual([{ type: 'rollback-prepared', site: 'saint-louis', gid: GID1 }]);
    expect(types(s.on(finished('saint-louis')))).toEqual(['set-timer']);
  });

  it('a share of the refused round that votes no too, or never answers, is rolled back as its answer comes', () => {
    const no = new Script();
    no.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, finished('thies'));
    expect(no.on({ type: 'voted', gid: GID1, site: 'saint-louis', vote: { ok: false, code: 'CONFLICT' } })).toEqual([{ type: 'rollback-prepared', site: 'saint-louis', gid: GID1 }]);
    const lost = new Script();
    lost.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, finished('thies'));
    // an unanswered prepare may hide a yes: rolled back, and left to recovery if that goes unanswered too
    expect(lost.on({ type: 'prepare-unknown', gid: GID1, site: 'saint-louis' })).toEqual([{ type: 'rollback-prepared', site: 'saint-louis', gid: GID1 }]);
    expect(types(lost.on({ type: 'finish-unknown', gid: GID1, site: 'saint-louis' }))).toEqual(['set-timer']);
  });

  it('a definite refusal (not a conflict) is not retried: rollback, then FAILED with a VOID of the authorization', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'OUT_OF_STOCK' } }, yes('saint-louis'));
    expect(s.run(finished('thies'), finished('saint-louis'))).toEqual([
      { type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'OUT_OF_STOCK', voidPayment: true, reference: 'pay_1' },
    ]);
    expect(s.on({ type: 'finalized', status: 'FAILED' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'OUT_OF_STOCK' } }]);
  });

  it('a guarded finalize that finds the order committed answers confirmed', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'INTERNAL' } }, yes('saint-louis'), finished('thies'), finished('saint-louis'));
    expect(s.on({ type: 'finalized', status: 'CONFIRMED' })).toEqual([{ type: 'reply', reply: { ok: true, orderId: 'order-1' } }]);
  });

  it('an unanswered finalize is no final failure: the caller is told the outcome is pending', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'OUT_OF_STOCK' } }, yes('saint-louis'), finished('thies'), finished('saint-louis'));
    expect(s.on({ type: 'finalize-unknown' })).toEqual([{ type: 'reply', reply: { ok: false, code: 'SITE_UNAVAILABLE' } }]);
  });
});

describe('order machine: retries (defect 1)', () => {
  it('a CONFLICT starts a new attempt after a backoff: same order, same authorization, nothing voided', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, yes('saint-louis'));
    expect(types(s.run(finished('thies'), finished('saint-louis')))).toEqual(['set-timer']);
    expect(s.on({ type: 'timer', name: 'retry' })).toEqual([{ type: 'plan-attempt', attempt: 2 }]);
    const all = s.lines.join('\n');
    expect(all).not.toContain('void-now');
    expect(all.match(/ authorize /g)).toHaveLength(1);
  });

  it('the retry prepares under its own gid; late replies of the first attempt change nothing', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, yes('saint-louis'), finished('thies'), finished('saint-louis'), { type: 'timer', name: 'retry' });
    expect(types(s.on({ type: 'planned', gid: GID2, rounds: [['thies'], ['saint-louis']] }))).toEqual(['prepare']);
    const before = s.state;
    expect(s.on(yes('thies', GID1))).toEqual([]);
    expect(s.on({ type: 'local-committed', gid: GID1, vote: { ok: true } })).toEqual([]);
    expect(s.state).toBe(before);
  });

  it('attempts exhausted: FAILED with CONFLICT and a VOID', () => {
    const s = new Script(newOrder(REQUEST), { ...CONFIG, maxAttempts: 1 });
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, yes('saint-louis'), finished('thies'));
    expect(s.on(finished('saint-louis'))).toEqual([{ type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'CONFLICT', voidPayment: true, reference: 'pay_1' }]);
  });

  it('no new attempt starts once the deadline passed', () => {
    const s = new Script();
    s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } }, { type: 'deadline' }, yes('saint-louis'), finished('thies'));
    expect(types(s.on(finished('saint-louis')))).toEqual(['finalize']);
  });

  it('DUPLICATE at the decision site: an earlier attempt committed the order — roll back this one, answer confirmed', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'));
    expect(types(s.on({ type: 'local-committed', gid: GID1, vote: { ok: false, code: 'DUPLICATE' } }))).toEqual(['rollback-prepared', 'rollback-prepared']);
    s.on(finished('thies'));
    expect(s.on(finished('saint-louis'))).toEqual([{ type: 'reply', reply: { ok: true, orderId: 'order-1' } }]);
  });
});

describe('order machine: unclear outcomes (defects 2 and 3)', () => {
  const toDecision = () => [...toPrepares(), yes('thies'), yes('saint-louis')];

  it('a lost answer of the decision is settled by asking: decide(ABORT) at the decision site', () => {
    const s = new Script();
    s.run(...toDecision());
    expect(s.on({ type: 'local-unknown', gid: GID1 })).toEqual([{ type: 'decide', site: 'dakar', gid: GID1, decision: 'ABORT' }]);
  });

  it('the fence finds COMMIT: the order committed — COMMIT PREPARED, answer confirmed', () => {
    const s = new Script();
    s.run(...toDecision(), { type: 'local-unknown', gid: GID1 });
    expect(types(s.on({ type: 'decided', gid: GID1, decision: 'COMMIT' }))).toEqual(['reply', 'commit-prepared', 'commit-prepared']);
  });

  it('the fence stands as ABORT: rollback, then a definite failure with a VOID', () => {
    const s = new Script();
    s.run(...toDecision(), { type: 'local-unknown', gid: GID1 }, { type: 'decided', gid: GID1, decision: 'ABORT' }, finished('thies'));
    expect(s.on(finished('saint-louis'))).toEqual([{ type: 'finalize', site: 'dakar', orderId: 'order-1', code: 'SITE_UNAVAILABLE', voidPayment: true, reference: 'pay_1' }]);
  });

  it('a one-site order that times out is fenced too, never reported failed on a guess', () => {
    const s = new Script();
    s.run({ type: 'start' }, { type: 'intent', outcome: 'NEW', orderId: 'order-1' }, { type: 'authorized', reference: 'pay_1', status: 'AUTHORIZED' }, { type: 'planned', gid: GID1, rounds: [] });
    expect(types(s.on({ type: 'local-unknown', gid: GID1 }))).toEqual(['decide']);
  });

  it('in doubt (the fence itself unanswered): nothing is voided, the caller is told to retry with the same key', () => {
    const s = new Script();
    s.run(...toDecision(), { type: 'local-unknown', gid: GID1 });
    expect(s.on({ type: 'decide-unknown', gid: GID1 })).toEqual([{ type: 'reply', reply: { ok: false, code: 'SITE_UNAVAILABLE' } }]);
    expect(s.lines.join('\n')).not.toMatch(/void-now|finalize|rollback-prepared/);
  });
});

describe('order machine: recovery feeds the same machine (defect 6)', () => {
  it('a prepared share whose COMMIT is durable is committed at once, however young', () => {
    const s = new Script(settleState(GID1, 'thies', 'dakar', false));
    expect(s.lines.join('\n')).toContain('ask-decision site=dakar');
    expect(s.on({ type: 'decided', gid: GID1, decision: 'COMMIT' })).toEqual([{ type: 'commit-prepared', site: 'thies', gid: GID1 }]);
  });

  it('an undecided young share is left to its coordinator', () => {
    const s = new Script(settleState(GID1, 'thies', 'dakar', false));
    expect(s.on({ type: 'decided', gid: GID1, decision: null })).toEqual([]);
    expect(s.phase).toBe('done');
  });

  it('an undecided old share is fenced with ABORT first, then finished as the decision that stands', () => {
    const s = new Script(settleState(GID1, 'thies', 'dakar', true));
    expect(s.on({ type: 'decided', gid: GID1, decision: null })).toEqual([{ type: 'decide', site: 'dakar', gid: GID1, decision: 'ABORT' }]);
    // the decision site's commit won the race: the fence returns COMMIT
    expect(s.on({ type: 'decided', gid: GID1, decision: 'COMMIT' })).toEqual([{ type: 'commit-prepared', site: 'thies', gid: GID1 }]);
  });

  it('an abandoned intent is finalized FAILED with a VOID found by order id', () => {
    const s = new Script(abandonedState('order-9', 'thies'));
    expect(s.lines.join('\n')).toContain('finalize site=thies orderId=order-9 code=SITE_UNAVAILABLE voidPayment=true reference=null');
    expect(s.on({ type: 'finalized', status: 'FAILED' })).toEqual([]);
    expect(s.phase).toBe('done');
  });
});

describe('order machine: purity and the planted defects', () => {
  it('step never changes the state it is given, and the same input gives the same output', () => {
    let state: OrderState = deepFreeze(newOrder(REQUEST));
    for (const event of [...toPrepares(), yes('thies'), yes('saint-louis'), { type: 'local-unknown', gid: GID1 } as OrderEvent]) {
      const a = step(state, event, CONFIG);
      expect(step(state, event, CONFIG)).toEqual(a);
      state = deepFreeze(a.state);
    }
  });

  it('defect 1 planted: authorizes with the customer key per attempt and voids on a conflict', () => {
    const s = new Script(newOrder(REQUEST), { ...CONFIG, defects: { defect1: true } });
    const actions = s.run(...toPrepares(), { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } });
    expect(actions[0]).toEqual({ type: 'void-now', reference: 'pay_1', orderId: 'order-1' });
    expect(s.lines.join('\n')).toContain('key=7:k-1');
  });

  it('defect 2 planted: an in-doubt outcome voids the payment', () => {
    const s = new Script(newOrder(REQUEST), { ...CONFIG, defects: { defect2: true } });
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'), { type: 'local-unknown', gid: GID1 });
    expect(types(s.on({ type: 'decide-unknown', gid: GID1 }))).toEqual(['void-now', 'reply']);
  });

  it('defect 5 planted: the capture leaves from the coordinator, with no outbox row', () => {
    const s = new Script(newOrder(REQUEST), { ...CONFIG, defects: { defect5: true } });
    s.run(...toPrepares(), yes('thies'));
    expect(s.on(yes('saint-louis'))).toEqual([{ type: 'commit-local', site: 'dakar', gid: GID1, orderId: 'order-1', reference: 'pay_1', outbox: false }]);
    expect(types(s.on({ type: 'local-committed', gid: GID1, vote: { ok: true } }))).toContain('capture-now');
  });
});
