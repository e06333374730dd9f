/**
 * Histories of transactions over stock items, in the textbook form the serializability checker
 * reads: begin, read(item, value), write(item, value), commit or abort, in one order.
 *
 * The simulator does not see the order in which the databases executed operations; it knows, for
 * every access, the row version read and the version the write produced (the ledger records them).
 * Versions are the database's own order of the writes of one row, and a read of version v happened
 * after the write of v and before the write of v + 1. `historyFromRecords` rebuilds, item by item,
 * an order of operations consistent with that; two operations on different items never conflict,
 * so the precedence graph of the rebuilt history is the one of the real execution.
 */
import type { SiteId } from '../lib/sites.ts';

/** One stock row: `dakar/121` is product 121 at the Dakar warehouse. */
export type Item = string;

export const itemOf = (site: SiteId, productId: number): Item => `${site}/${productId}`;

export type Operation =
  | { readonly tx: string; readonly kind: 'begin' }
  | { readonly tx: string; readonly kind: 'read'; readonly item: Item; readonly value: number }
  | { readonly tx: string; readonly kind: 'write'; readonly item: Item; readonly value: number }
  | { readonly tx: string; readonly kind: 'commit' }
  | { readonly tx: string; readonly kind: 'abort' };

export type History = readonly Operation[];

export interface VersionedValue {
  readonly value: number;
  readonly version: number;
}

/** What one transaction did to one item: the value it read, then (usually) the value it wrote. */
export interface RecordedAccess {
  readonly item: Item;
  readonly read: VersionedValue;
  /** The value written and the row version this write produced. */
  readonly write?: VersionedValue;
}

export interface RecordedTransaction {
  readonly id: string;
  readonly status: 'committed' | 'aborted';
  readonly accesses: readonly RecordedAccess[];
}

interface Placed {
  readonly op: Operation;
  /** Position among the item's operations: the write of v at 2v, reads of v at 2v + 1. */
  readonly rank: number;
}

export function historyFromRecords(transactions: readonly RecordedTransaction[]): History {
  const byItem = new Map<Item, Placed[]>();
  const place = (item: Item, placed: Placed) => {
    if (!byItem.has(item)) byItem.set(item, []);
    byItem.get(item)!.push(placed);
  };
  for (const t of transactions) {
    for (const a of t.accesses) {
      place(a.item, { op: { tx: t.id, kind: 'read', item: a.item, value: a.read.value }, rank: 2 * a.read.version + 1 });
      if (a.write) place(a.item, { op: { tx: t.id, kind: 'write', item: a.item, value: a.write.value }, rank: 2 * a.write.version });
    }
  }
  const operations: Operation[] = transactions.map((t) => ({ tx: t.id, kind: 'begin' }));
  for (const item of [...byItem.keys()].sort()) {
    // stable sort: reads of one version keep the order they were recorded in
    operations.push(...byItem.get(item)!.sort((a, b) => a.rank - b.rank).map((p) => p.op));
  }
  for (const t of transactions) operations.push({ tx: t.id, kind: t.status === 'committed' ? 'commit' : 'abort' });
  return operations;
}

/** `r1(dakar/121)=40`, `w1(dakar/121)=38`, `c1`: the textbook notation, for reports and tests. */
export function formatOperation(op: Operation): string {
  switch (op.kind) {
    case 'read':
      return `r[${op.tx}](${op.item})=${op.value}`;
    case 'write':
      return `w[${op.tx}](${op.item})=${op.value}`;
    case 'begin':
      return `b[${op.tx}]`;
    case 'commit':
      return `c[${op.tx}]`;
    case 'abort':
      return `a[${op.tx}]`;
  }
}
