/**
 * What must hold of the stock after concurrent transactions, whatever their interleaving, for
 * every (site, product) item:
 * - never below zero, in the final state nor in any value a transaction wrote;
 * - no oversell: what committed transactions took never exceeds what was there plus what came in;
 * - conservation: initial + Σ committed changes = final. A lost update breaks it: two transactions
 *   both took stock from the same value, and the final quantity forgets one of them.
 */
import type { History, Item } from './history.ts';

export interface StockChange {
  readonly tx: string;
  readonly item: Item;
  /** Negative takes stock (an order), positive brings it (a cancellation, a restock). */
  readonly delta: number;
}

export interface StockInvariantInput {
  readonly initial: ReadonlyMap<Item, number>;
  readonly final: ReadonlyMap<Item, number>;
  /** Every change a committed transaction made to the items between the two snapshots. */
  readonly committed: readonly StockChange[];
  /** The recorded history, whose written values are checked too. */
  readonly history?: History;
}

export type StockViolation =
  | { readonly kind: 'NEGATIVE_STOCK'; readonly item: Item; readonly value: number; readonly tx: string | null }
  | { readonly kind: 'OVERSOLD'; readonly item: Item; readonly sold: number; readonly available: number }
  | { readonly kind: 'NOT_CONSERVED'; readonly item: Item; readonly initial: number; readonly committedDelta: number; readonly final: number };

export function checkStockInvariants(input: StockInvariantInput): StockViolation[] {
  const violations: StockViolation[] = [];
  const items = [...new Set([...input.initial.keys(), ...input.final.keys(), ...input.committed.map((c) => c.item)])].sort();
  for (const op of input.history ?? []) {
    if (op.kind === 'write' && op.value < 0) violations.push({ kind: 'NEGATIVE_STOCK', item: op.item, value: op.value, tx: op.tx });
  }
  for (const item of items) {
    const initial = input.initial.get(item) ?? 0;
    const final = input.final.get(item) ?? 0;
    const changes = input.committed.filter((c) => c.item === item);
    const sold = changes.reduce((sum, c) => sum + Math.max(0, -c.delta), 0);
    const received = changes.reduce((sum, c) => sum + Math.max(0, c.delta), 0);
    const committedDelta = received - sold;
    if (final < 0) violations.push({ kind: 'NEGATIVE_STOCK', item, value: final, tx: null });
    if (sold > initial + received) violations.push({ kind: 'OVERSOLD', item, sold, available: initial + received });
    if (initial + committedDelta !== final) violations.push({ kind: 'NOT_CONSERVED', item, initial, committedDelta, final });
  }
  return violations;
}

export function formatViolation(v: StockViolation): string {
  switch (v.kind) {
    case 'NEGATIVE_STOCK':
      return `${v.item}: stock ${v.value} below zero${v.tx ? ` (written by ${v.tx})` : ''}`;
    case 'OVERSOLD':
      return `${v.item}: committed transactions took ${v.sold} units, only ${v.available} existed`;
    case 'NOT_CONSERVED': {
      const expected = v.initial + v.committedDelta;
      const lost = v.final - expected;
      return `${v.item}: initial ${v.initial} ${v.committedDelta < 0 ? '−' : '+'} ${Math.abs(v.committedDelta)} committed ≠ final ${v.final} (${lost > 0 ? `${lost} units taken by committed transactions are back: lost update` : `${-lost} units gone without a committed transaction`})`;
    }
  }
}
