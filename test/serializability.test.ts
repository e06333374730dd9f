/**
 * The serializability checker and the stock invariants of the concurrency simulator, on
 * hand-built histories (pure code, no cluster).
 */
import { describe, expect, it } from 'vitest';
import { historyFromRecords, type History, type Operation } from '../sim/history.ts';
import { checkConflictSerializability, formatCycle, precedenceGraph } from '../sim/serializability.ts';
import { checkStockInvariants } from '../sim/stock-invariants.ts';

const r = (tx: string, item: string, value: number): Operation => ({ tx, kind: 'read', item, value });
const w = (tx: string, item: string, value: number): Operation => ({ tx, kind: 'write', item, value });
const c = (tx: string): Operation => ({ tx, kind: 'commit' });
const a = (tx: string): Operation => ({ tx, kind: 'abort' });

const cycleNodes = (history: History) => {
  const result = checkConflictSerializability(history);
  if (result.serializable) return null;
  return result.cycle.map((e) => e.from);
};

describe('conflict serializability', () => {
  it('flags the lost update r1(x) r2(x) w1(x) w2(x) with the cycle T1 → T2 → T1 and its witnesses', () => {
    const history = [r('T1', 'x', 10), r('T2', 'x', 10), w('T1', 'x', 8), w('T2', 'x', 7), c('T1'), c('T2')];
    const result = checkConflictSerializability(history);
    expect(result.serializable).toBe(false);
    if (result.serializable) return;
    expect(new Set(result.cycle.map((e) => e.from))).toEqual(new Set(['T1', 'T2']));
    expect(result.cycle).toHaveLength(2);
    // each edge leads to the next one's origin, and the last back to the first's
    result.cycle.forEach((e, i) => expect(e.to).toBe(result.cycle[(i + 1) % result.cycle.length]!.from));
    const text = formatCycle(result.cycle);
    expect(text).toContain('r[T2](x)=10 before w[T1](x)=8');
    expect(text).toContain('w[T1](x)=8 before w[T2](x)=7');
  });

  it('accepts a serial history, with its own order as the serial order', () => {
    const history = [r('T1', 'x', 10), w('T1', 'x', 8), c('T1'), r('T2', 'x', 8), w('T2', 'x', 7), c('T2')];
    expect(checkConflictSerializability(history)).toMatchObject({ serializable: true, serialOrder: ['T1', 'T2'] });
  });

  it('accepts an interleaved history equivalent to T2 then T1, and gives that order', () => {
    // T1 reads y after T2 wrote it; on x, T1 reads after T2 wrote too
    const history = [r('T2', 'x', 5), w('T2', 'x', 4), r('T1', 'x', 4), r('T2', 'y', 9), w('T2', 'y', 8), w('T1', 'x', 3), r('T1', 'y', 8), c('T1'), c('T2')];
    expect(checkConflictSerializability(history)).toMatchObject({ serializable: true, serialOrder: ['T2', 'T1'] });
  });

  it('finds a cycle that only shows across two items (each item alone is serial)', () => {
    const history = [
      r('T1', 'dakar/121', 10), w('T1', 'dakar/121', 9), r('T2', 'dakar/121', 9), w('T2', 'dakar/121', 8),
      r('T2', 'thies/122', 5), w('T2', 'thies/122', 4), r('T1', 'thies/122', 4), w('T1', 'thies/122', 3),
      c('T1'), c('T2'),
    ];
    expect(new Set(cycleNodes(history))).toEqual(new Set(['T1', 'T2']));
  });

  it('finds a cycle of three transactions', () => {
    const history = [r('T1', 'x', 1), r('T2', 'y', 1), r('T3', 'z', 1), w('T2', 'x', 0), w('T3', 'y', 0), w('T1', 'z', 0), c('T1'), c('T2'), c('T3')];
    expect(cycleNodes(history)?.sort()).toEqual(['T1', 'T2', 'T3']);
  });

  it('ignores aborted transactions: their effects are undone', () => {
    const history = [r('T1', 'x', 10), r('T2', 'x', 10), w('T1', 'x', 8), w('T2', 'x', 7), c('T1'), a('T2')];
    expect(checkConflictSerializability(history)).toMatchObject({ serializable: true, serialOrder: ['T1'] });
  });

  it('keeps one edge per pair of transactions and one edge per write for a hot item', () => {
    const history: Operation[] = [];
    for (let i = 0; i < 1000; i++) history.push(r(`T${i}`, 'x', 1000 - i), w(`T${i}`, 'x', 999 - i), c(`T${i}`));
    const graph = precedenceGraph(history);
    expect(graph.nodes).toHaveLength(1000);
    expect(graph.edges).toHaveLength(999);
    expect(checkConflictSerializability(history).serializable).toBe(true);
  });
});

describe('histories rebuilt from recorded versions', () => {
  it('orders each item by the versions read and written, whatever order the records come in', () => {
    // T2 read the version T1 wrote: T1 then T2, even if T2 is recorded first
    const history = historyFromRecords([
      { id: 'T2', status: 'committed', accesses: [{ item: 'dakar/121', read: { value: 8, version: 6 }, write: { value: 5, version: 7 } }] },
      { id: 'T1', status: 'committed', accesses: [{ item: 'dakar/121', read: { value: 10, version: 5 }, write: { value: 8, version: 6 } }] },
    ]);
    expect(history.filter((op) => op.kind === 'read' || op.kind === 'write')).toEqual([
      r('T1', 'dakar/121', 10), w('T1', 'dakar/121', 8), r('T2', 'dakar/121', 8), w('T2', 'dakar/121', 5),
    ]);
    expect(checkConflictSerializability(history)).toMatchObject({ serializable: true, serialOrder: ['T1', 'T2'] });
  });

  it('turns two writes over the same read version (a lost update) into a cycle', () => {
    const history = historyFromRecords([
      { id: 'T1', status: 'committed', accesses: [{ item: 'dakar/121', read: { value: 10, version: 5 }, write: { value: 8, version: 6 } }] },
      { id: 'T2', status: 'committed', accesses: [{ item: 'dakar/121', read: { value: 10, version: 5 }, write: { value: 7, version: 7 } }] },
      { id: 'T3', status: 'aborted', accesses: [] },
    ]);
    expect(history[0]).toEqual({ tx: 'T1', kind: 'begin' });
    expect(history.at(-1)).toEqual({ tx: 'T3', kind: 'abort' });
    expect(new Set(cycleNodes(history))).toEqual(new Set(['T1', 'T2']));
  });
});

describe('stock invariants', () => {
  const item = 'dakar/121';

  it('hold when the final stock is the initial one minus what committed orders took', () => {
    expect(checkStockInvariants({
      initial: new Map([[item, 10]]),
      final: new Map([[item, 3]]),
      committed: [{ tx: 'T1', item, delta: -2 }, { tx: 'T2', item, delta: -5 }],
    })).toEqual([]);
  });

  it('flag a lost update: the final stock forgets a committed order', () => {
    const violations = checkStockInvariants({
      initial: new Map([[item, 10]]),
      final: new Map([[item, 7]]),
      committed: [{ tx: 'T1', item, delta: -2 }, { tx: 'T2', item, delta: -3 }],
    });
    expect(violations).toEqual([{ kind: 'NOT_CONSERVED', item, initial: 10, committedDelta: -5, final: 7 }]);
  });

  it('flag an oversell and a value written below zero', () => {
    const violations = checkStockInvariants({
      initial: new Map([[item, 3]]),
      final: new Map([[item, 1]]),
      committed: [{ tx: 'T1', item, delta: -2 }, { tx: 'T2', item, delta: -2 }],
      history: [w('T1', item, 1), w('T2', item, -1)],
    });
    expect(violations.map((v) => v.kind).sort()).toEqual(['NEGATIVE_STOCK', 'NOT_CONSERVED', 'OVERSOLD']);
    expect(violations).toContainEqual({ kind: 'OVERSOLD', item, sold: 4, available: 3 });
    expect(violations).toContainEqual({ kind: 'NEGATIVE_STOCK', item, value: -1, tx: 'T2' });
  });
});
