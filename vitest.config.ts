import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The unit files first, during the test cluster's boot; then the launcher's file (on a cluster of
 * its own, it runs beside the e2e files; its own boot would slow the test cluster's, the start of
 * the run's longest chain); then the e2e files, which take turns: a worker waiting for its turn
 * would otherwise hold the others back.
 */
class UnitsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => ['unit', 'launcher'].indexOf(f.project.name) >>> 0;
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

// The e2e tier boots its own cluster on its own ports and data directory, so it runs beside `npm start`.
process.env.TERANGA_HOME = process.env.TERANGA_TEST_HOME ?? '.teranga-test';
process.env.TERANGA_PORT = process.env.TERANGA_TEST_PORT ?? '24000';
process.env.TERANGA_PG_PORT = process.env.TERANGA_TEST_PG_PORT ?? '25400';
process.env.TERANGA_NETWORK = 'local';
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
// crash points armed on the running coordinator (POST /internal/fault) instead of a restart per point
process.env.TERANGA_FAULT_INJECTION = '1';
// the payment provider's test settings (decline, fail, answer late) are switched at run time, and
// decision rows are kept for the whole run so that fingerprints taken around a request see no purge;
// every service the tests start or restart inherits both
process.env.TERANGA_PAYMENTS_TEST_SETTINGS = 'on';
process.env.TERANGA_DECISION_RETENTION_MS = '7200000';

/**
 * Two tiers, by file suffix:
 * - `test/**\/*.test.ts`: pure logic and generated files, no cluster; files run in parallel;
 * - `test/**\/*.e2e.ts`: real PostgreSQL servers and services over real connections, one cluster
 *   booted for the tier (globalSetup, in the background while the unit files run) and stopped
 *   after it; the files that disrupt the cluster or assert on all of it run alone, the others
 *   side by side (test/support/e2e-turns.ts);
 * - `test/launcher.e2e.ts`: the `teranga` command on a cluster of its own, beside the e2e files.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // the e2e files mostly wait on the cluster's processes: more workers than cores, so that the
    // unit files run during the boot, and the launcher's and shared e2e files beside the others
    maxWorkers: 3,
    sequence: { sequencer: UnitsFirst },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // the files import the same cluster, client and protocol modules: loaded once per worker,
          // not once per file (their state is the cluster's: topology, pools per server, tokens)
          isolate: false,
          include: ['test/**/*.e2e.ts'],
          exclude: ['test/launcher.e2e.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // the files share one cluster: each waits for its boot, then for its turn (a lock, not
          // fileParallelism: false, which would also hold back the launcher's and the unit files):
          // the disruptive ones alone, the others side by side (SHARED_FILES)
          setupFiles: ['test/support/e2e-turns.ts'],
        },
      },
      {
        // real launcher processes on a cluster of their own (other ports, another data directory),
        // so it runs beside the e2e tier
        extends: true,
        test: { name: 'launcher', include: ['test/launcher.e2e.ts'] },
      },
    ],
  },
});
