import { InvalidArgumentError, Option, type Command } from 'commander';
import { topologyFromEnv } from '../../lib/topology.ts';
import { positiveInteger, wholeNumber } from '../options.ts';
import { formatReport, formatSummary, isCorrect } from '../../sim/simulation-report.ts';
import { simulate, SIMULATION_STRATEGIES, type SimulationReport, type SimulationStrategy } from '../../sim/simulator.ts';

function strategies(raw: string): SimulationStrategy[] {
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(SIMULATION_STRATEGIES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`strategy must be ${SIMULATION_STRATEGIES.join(', ')} or a comma-separated list of them, got "${name}"`);
    }
  }
  return names as SimulationStrategy[];
}

interface SimulateFlags {
  orders: number;
  concurrency: number;
  strategy: SimulationStrategy[];
  hotProducts: number;
  stock?: number;
  maxLines: number;
  maxQuantity: number;
  seed: number;
  writeDelayMs: number;
  json?: boolean;
}

/** Task 4c: concurrent orders on hot products over the running cluster, and a serializability check. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'run concurrent orders on a few hot products against the running cluster, record the history, ' +
        'check it is conflict-serializable and that no stock is lost or oversold, and print throughput, aborts and latency',
    )
    .option('--orders <n>', 'orders to place', positiveInteger('--orders'), 500)
    .option('--concurrency <c>', 'orders in flight at once', positiveInteger('--concurrency'), 16)
    .addOption(
      new Option('--strategy <s>', `${SIMULATION_STRATEGIES.join(' | ')}, or several separated by commas ` +
        '(none: unsafe read-then-write straight on the databases, to see the checker catch lost updates)')
        .argParser(strategies)
        .default(['locking'], 'locking'),
    )
    .option('--hot-products <k>', 'products the orders share (1: worst contention)', positiveInteger('--hot-products'), 1)
    .option('--stock <q>', 'units of each hot product at its home warehouse (default: twice the expected demand)', wholeNumber('--stock'))
    .option('--max-lines <n>', 'lines per order, from 1 to this', positiveInteger('--max-lines'), 2)
    .option('--max-quantity <n>', 'units per line, from 1 to this', positiveInteger('--max-quantity'), 2)
    .option('--seed <n>', 'seed of the order generator (same seed, same orders)', wholeNumber('--seed'), 1)
    .option('--write-delay-ms <ms>', 'none: pause between the read and the write-back', wholeNumber('--write-delay-ms'), 2)
    .option('--json', 'print the reports as JSON')
    .action(async (flags: SimulateFlags) => {
      const topology = topologyFromEnv();
      const reports: SimulationReport[] = [];
      for (const strategy of flags.strategy) {
        const report = await simulate({
          topology,
          strategy,
          orders: flags.orders,
          concurrency: flags.concurrency,
          hotProducts: flags.hotProducts,
          stock: flags.stock,
          maxLines: flags.maxLines,
          maxQuantity: flags.maxQuantity,
          seed: flags.seed,
          writeDelayMs: flags.writeDelayMs,
          progress: flags.json ? undefined : (m) => console.log(`[simulate] ${m}`),
        });
        reports.push(report);
        if (!flags.json) console.log(`${formatReport(report)}\n`);
      }
      if (flags.json) {
        console.log(JSON.stringify(reports.map((r) => ({ ...r, serializability: r.serializability.serializable
          ? { serializable: true, committed: r.serializability.serialOrder.length }
          : { serializable: false, cycle: r.serializability.cycle.map(({ from, to, item, kind }) => ({ from, to, item, kind })) } })), null, 2));
      } else if (reports.length > 1) {
        console.log(formatSummary(reports));
      }
      // `none` is expected to fail the checks; a safe strategy that fails them is an error
      if (reports.some((r) => r.strategy !== 'none' && !isCorrect(r))) process.exitCode = 1;
    });
}
