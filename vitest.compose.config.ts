import { defineConfig } from 'vitest/config';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';

/**
 * `npm run test:compose`: compose.yaml run for real under Docker (test/*.compose.ts), apart from
 * `npm test` because it builds images and starts a Docker engine where none runs.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.compose.ts'],
    testTimeout: 120_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
  },
});
