/**
 * Runs the orders subgraph (the transaction coordinator) on the topology's `orders` port.
 * Environment: see topologyFromEnv(), serviceConfigFromEnv() and authConfigFromEnv()
 * (TERANGA_INTERNAL_SECRET and TERANGA_JWT_PUBLIC_KEY are required), faultsFromEnv(), and
 * TERANGA_INDOUBT_TIMEOUT_MS, TERANGA_RECOVERY_INTERVAL_MS, TERANGA_CONCURRENCY (`locking` or `timestamp`),
 * TERANGA_PARTICIPANT_TIMEOUT_MS (one call to a site, default 10000), TERANGA_ORDER_BUDGET_MS
 * (an order's budget without a caller deadline, default 9000), TERANGA_DECISION_RETENTION_MS
 * (how long acknowledged decision rows are kept, default 600000).
 */
import { authConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../../lib/auth/token-verifier.ts';
import { serviceConfigFromEnv } from '../../lib/config.ts';
import { coordinatorNames, selfService, topologyFromEnv } from '../../lib/topology.ts';
import { concurrencyStrategyFromEnv } from './concurrency-control.ts';
import { faultsFromEnv } from './faults.ts';
import { createOrdersServer } from './server.ts';

const intEnv = (name: string): number | undefined => {
  const raw = process.env[name];
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

const topology = topologyFromEnv();
// one coordinator per site (TERANGA_SERVICE says which), same code and decision log
const self = selfService(topology, coordinatorNames());
const server = await createOrdersServer({
  topology,
  config: serviceConfigFromEnv(),
  tokenVerifier: createTokenVerifier(authConfigFromEnv()),
  faults: faultsFromEnv(),
  inDoubtTimeoutMs: intEnv('TERANGA_INDOUBT_TIMEOUT_MS'),
  recoveryIntervalMs: intEnv('TERANGA_RECOVERY_INTERVAL_MS'),
  concurrency: concurrencyStrategyFromEnv(),
  participantTimeoutMs: intEnv('TERANGA_PARTICIPANT_TIMEOUT_MS'),
  orderBudgetMs: intEnv('TERANGA_ORDER_BUDGET_MS'),
  decisionRetentionMs: intEnv('TERANGA_DECISION_RETENTION_MS'),
  site: self.site ?? undefined,
});
const running = await server.listen(self.port, self.listenHost);
server.logger.info({ url: running.url }, 'orders subgraph ready');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.stop().finally(() => process.exit(0));
  });
}
