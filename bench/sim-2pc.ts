/**
 * npm run sim:2pc -- --seeds N [--seed S] [--first F] [--plant defect1|defect2|defect5|earlyRollback]
 *
 * Explores N seeded schedules of the simulated order protocol (sim/twopc) and prints schedules
 * per second, violations and the failing seeds; `--seed S` replays one schedule and prints its
 * trace; `--plant` brings back one fixed defect, to show the invariants catch it.
 */
import { Command, Option } from 'commander';
import { DEFECTS, runSchedule, sweep, type DefectName } from '../sim/twopc/run.ts';

const program = new Command('sim:2pc')
  .description('Deterministic simulation of the order protocol with payments')
  .option('--seeds <n>', 'schedules to explore', (v) => Number.parseInt(v, 10), 10_000)
  .option('--first <n>', 'first seed of the sweep', (v) => Number.parseInt(v, 10), 1)
  .option('--seed <n>', 'replay one schedule and print its trace', (v) => Number.parseInt(v, 10))
  .addOption(new Option('--plant <defect>', 'plant a fixed defect in the model').choices(DEFECTS))
  .option('--json', 'print the summary as JSON')
  .parse();

// `| head` closes the pipe early: that is not an error
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const opts = program.opts<{ seeds: number; first: number; seed?: number; plant?: DefectName; json?: boolean }>();

if (opts.seed !== undefined) {
  const result = runSchedule(opts.seed, { defect: opts.plant ?? null, trace: true });
  for (const line of result.trace ?? []) console.log(line);
  console.log(`\nseed ${opts.seed}${opts.plant ? ` (planted ${opts.plant})` : ''}: ${result.orders} requests, ${result.confirmed} orders confirmed, ${result.steps} machine steps`);
  if (result.violations.length === 0) console.log('invariants: all hold');
  for (const v of result.violations) console.log(`VIOLATION ${v.invariant}: ${v.detail}`);
  process.exitCode = result.violations.length === 0 ? 0 : 1;
} else {
  const started = process.hrtime.bigint();
  const result = sweep(opts.first, opts.seeds, { defect: opts.plant ?? null });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = {
    schedules: result.schedules,
    seconds: Number(seconds.toFixed(2)),
    schedulesPerSecond: Math.round(result.schedules / seconds),
    machineSteps: result.steps,
    ordersConfirmed: result.confirmed,
    coverage: result.coverage,
    planted: opts.plant ?? null,
    violations: result.failing.length,
    firstFailingSeed: result.failing[0]?.seed ?? null,
    seedsToFirstFailure: result.firstFailureAfter,
    failingSeeds: result.failing.slice(0, 20).map((f) => f.seed),
  };
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`${summary.schedules} schedules in ${summary.seconds} s: ${summary.schedulesPerSecond} schedules/s, ${summary.machineSteps} machine steps, ${summary.ordersConfirmed} orders confirmed`);
    const c = result.coverage;
    console.log(`paths: ${c.crashes} crashes, ${c.retries} retries after CONFLICT, ${c.fences} fences, ${c.inDoubt} in-doubt answers, ${c.takeovers} intents taken over, ${c.abandoned} abandoned intents finalized, recovery committed ${c.recoveredCommit} and rolled back ${c.recoveredAbort} shares`);
    console.log(`${summary.violations} schedule(s) with violations${opts.plant ? ` (planted ${opts.plant})` : ''}`);
    for (const f of result.failing.slice(0, 5)) {
      console.log(`  seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
    }
    if (result.failing.length > 0) console.log(`replay: npm run sim:2pc -- --seed ${result.failing[0]!.seed}${opts.plant ? ` --plant ${opts.plant}` : ''}`);
  }
  process.exitCode = opts.plant ? 0 : result.failing.length === 0 ? 0 : 1;
}
