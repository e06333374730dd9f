/**
 * A simulation's figures and verdicts as text: one block per run, and a table comparing runs.
 */
import { formatCycle } from './serializability.ts';
import type { SimulationReport } from './simulator.ts';
import { formatViolation } from './stock-invariants.ts';

export interface RunFigures {
  readonly committed: number;
  readonly committedPerSecond: number;
  /** Orders refused with CONFLICT (or left without an answer), over all orders. */
  readonly abortRate: number;
  /** Attempts beyond the first, over the orders that reached a first one; null when no coordinator ran them. */
  readonly retryRate: number | null;
  readonly outOfStock: number;
}

export function figuresOf(report: SimulationReport): RunFigures {
  const count = (code: string) => report.outcomes[code] ?? 0;
  const committed = count('CONFIRMED');
  const aborted = report.orders - committed - count('OUT_OF_STOCK');
  return {
    committed,
    committedPerSecond: committed / (report.elapsedMs / 1000),
    abortRate: report.orders === 0 ? 0 : aborted / report.orders,
    retryRate: report.attempts === null || report.attemptedOrders === null ? null
      : report.attemptedOrders === 0 ? 0 : (report.attempts - report.attemptedOrders) / report.attemptedOrders,
    outOfStock: count('OUT_OF_STOCK'),
  };
}

/** A run is correct when its history is conflict-serializable and every stock invariant holds. */
export const isCorrect = (report: SimulationReport) => report.serializability.serializable && report.violations.length === 0;

const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

export function formatReport(report: SimulationReport): string {
  const f = figuresOf(report);
  const lines = [
    `strategy ${report.strategy}: ${report.orders} orders, ${report.concurrency} at a time, ${report.hotProducts.length} hot product(s) ` +
      `(${report.hotProducts.join(', ')}), ${report.stockPerProduct} units each at its home warehouse, seed ${report.seed}`,
    `  answers:     ${Object.entries(report.outcomes).sort().map(([code, n]) => `${code} ${n}`).join(', ')}` +
      (report.pendingRetries > 0 ? ` (after ${report.pendingRetries} pending outcome(s) asked again with the same key)` : ''),
    `  throughput:  ${f.committedPerSecond.toFixed(1)} committed orders/s (${(report.elapsedMs / 1000).toFixed(2)} s)`,
    `  aborts:      ${percent(f.abortRate)} of orders refused with CONFLICT` +
      (f.retryRate === null ? '' : `; retries: ${percent(f.retryRate)} (${report.attempts} attempts)`),
    `  latency:     p50 ${ms(report.latencyMs.p50)}, p90 ${ms(report.latencyMs.p90)}, p99 ${ms(report.latencyMs.p99)}, max ${ms(report.latencyMs.max)}`,
  ];
  const s = report.serializability;
  if (s.serializable) {
    lines.push(`  history:     ${report.transactions} transactions, ${s.graph.edges.length} conflict edges: conflict-serializable ` +
      `(equivalent serial order of the ${s.serialOrder.length} committed)`);
  } else {
    lines.push(`  history:     ${report.transactions} transactions: NOT conflict-serializable, cycle in the precedence graph:`);
    lines.push(...formatCycle(s.cycle).split('\n').map((l) => `    ${l}`));
  }
  if (report.violations.length === 0) {
    lines.push('  invariants:  no stock below zero, no oversell, initial = final + committed orders at every (site, product)');
  } else {
    lines.push(`  invariants:  ${report.violations.length} violation(s):`);
    lines.push(...report.violations.slice(0, 20).map((v) => `    ${formatViolation(v)}`));
  }
  return lines.join('\n');
}

export function formatSummary(reports: readonly SimulationReport[]): string {
  const header = ['strategy', 'K', 'orders', 'C', 'committed', 'commits/s', 'aborts', 'retries', 'p50 ms', 'p99 ms', 'serializable', 'violations'];
  const rows = reports.map((r) => {
    const f = figuresOf(r);
    return [
      r.strategy, String(r.hotProducts.length), String(r.orders), String(r.concurrency), String(f.committed), f.committedPerSecond.toFixed(1),
      percent(f.abortRate), f.retryRate === null ? '—' : percent(f.retryRate), r.latencyMs.p50.toFixed(1), r.latencyMs.p99.toFixed(1),
      r.serializability.serializable ? 'yes' : 'NO', String(r.violations.length),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padStart(widths[i]!)).join('  ')).join('\n');
}
