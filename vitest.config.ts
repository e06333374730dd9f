import { defineConfig } from 'vitest/config';

// The suite boots its own cluster on its own ports and data directory, so it runs beside `npm start`.
process.env.TERANGA_HOME = process.env.TERANGA_TEST_HOME ?? '.teranga-test';
process.env.TERANGA_PORT = process.env.TERANGA_TEST_PORT ?? '24000';
process.env.TERANGA_PG_PORT = process.env.TERANGA_TEST_PG_PORT ?? '25400';
process.env.TERANGA_NETWORK = 'local';
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // the files share one cluster and assert on its data: run them one after another
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
