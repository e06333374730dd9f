/**
 * `teranga payments reconcile [--json]`: every `paiement` of every site against the provider's
 * ledger (lib/payments/reconcile.ts); exit code 1 when anything disagrees.
 */
import type { Command } from 'commander';
import { localSecrets } from '../../cluster/secrets.ts';
import { readState } from '../../cluster/state.ts';
import { reconcileCluster } from '../../lib/payments/reconcile-sources.ts';
import type { ReconcileReport } from '../../lib/payments/reconcile.ts';
import { topologyFromEnv } from '../../lib/topology.ts';

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
}
