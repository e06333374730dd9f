/**
 * Runs the payment provider on the topology's `payments` port, over the `payments` database.
 * Environment: topologyFromEnv(), TERANGA_INTERNAL_SECRET and TERANGA_JWT_PUBLIC_KEY (required),
 * and the test settings of settings.ts (TERANGA_PAYMENTS_TEST_SETTINGS, off unless `on`).
 */
import { authConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../../lib/auth/token-verifier.ts';
import { serviceConfigFromEnv } from '../../lib/config.ts';
import { serviceByName, topologyFromEnv } from '../../lib/topology.ts';
import { createPaymentsServer } from './server.ts';
import { paymentsSettingsFromEnv } from './settings.ts';

const topology = topologyFromEnv();
const self = serviceByName(topology, 'payments');
const server = await createPaymentsServer({
  topology,
  config: serviceConfigFromEnv(),
  settings: paymentsSettingsFromEnv(),
  tokenVerifier: createTokenVerifier(authConfigFromEnv()),
});
const running = await server.listen(self.port, self.listenHost);
server.logger.info({ url: running.url }, 'payment provider ready');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.stop().finally(() => process.exit(0));
  });
}
