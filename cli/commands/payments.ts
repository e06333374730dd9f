/**
 * `teranga payments reconcile [--json]`: every `paiement` of every site against the provider's
 * ledger (lib/payments/reconcile.ts); exit code 1 when anything disagrees.
 */
import type { Command } from 'commander';
import { formatContention, runPaymentsContention } from '../../sim/payments-contention.ts';
import { localSecrets } from '../../cluster/secrets.ts';
import { readState } from '../../cluster/state.ts';
import { reconcileCluster } from '../../lib/payments/reconcile-sources.ts';
import type { ReconcileReport } from '../../lib/payments/reconcile.ts';
import { topologyFromEnv } from '../../lib/topology.ts';
import { wholeNumber } from '../options.ts';

export function formatReconcile(report: ReconcileReport): string {
  const lines = [`checked ${report.checked} payments: ${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'}`];
  for (const m of report.mismatches) {
    lines.push(`  ${m.problem.padEnd(24)} order ${m.orderId} at ${m.site ?? '-'} (${m.reference ?? 'no reference'})  database ${JSON.stringify(m.database)}  provider ${JSON.stringify(m.provider)}`);
  }
  return lines.join('\n');
}

export function registerPayments(program: Command): void {
  const payments = program.command('payments').description('the payments of the orders and the provider’s ledger');
  payments
    .command('reconcile')
    .description('compare every site’s payments with the provider’s ledger and list each mismatch (exit code 1 if any)')
    .option('--json', 'print { checked, mismatches: [{ orderId, reference, site, problem, database, provider }] }')
    .action(async (flags: { json?: boolean }) => {
      const topology = topologyFromEnv();
      const secret = process.env.TERANGA_INTERNAL_SECRET || localSecrets(topology).TERANGA_INTERNAL_SECRET;
      const report = await reconcileCluster(topology, readState(topology), secret);
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatReconcile(report));
      if (report.mismatches.length > 0) process.exitCode = 1;
    });
  payments
    .command('contention')
    .description(
      'many concurrent keyed orders on one hot product, with kill -9 of the orders coordinator and of the payment provider ' +
        'and a restart by `up`; then checks every confirmed order is captured once and every refused one captured nothing (exit code 1 if not)',
    )
    .option('--orders <n>', 'orders to place', wholeNumber('--orders'), 50)
    .option('--concurrency <c>', 'orders in flight at once', wholeNumber('--concurrency'), 8)
    .option('--product <id>', 'the hot product (default: the cheapest beyond the case study’s rows)', wholeNumber('--product'))
    .option('--kill-orders-after <n>', 'kill -9 the coordinator after this many answers (0: never)', wholeNumber('--kill-orders-after'), 15)
    .option('--kill-payments-after <n>', 'kill -9 the payment provider after this many answers (0: never)', wholeNumber('--kill-payments-after'), 30)
    .option('--json', 'print the report as JSON')
    .action(async (flags: { orders: number; concurrency: number; product?: number; killOrdersAfter: number; killPaymentsAfter: number; json?: boolean }) => {
      const report = await runPaymentsContention(topologyFromEnv(), {
        orders: flags.orders,
        concurrency: Math.max(1, flags.concurrency),
        productId: flags.product,
        killOrdersAfter: flags.killOrdersAfter,
        killPaymentsAfter: flags.killPaymentsAfter,
        progress: flags.json ? undefined : (m) => console.error(m),
      });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatContention(report));
      if (report.mismatches.length + report.confirmedNotCaptured.length + report.refusedButCaptured.length > 0) process.exitCode = 1;
    });
}
