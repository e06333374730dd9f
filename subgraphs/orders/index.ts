import { serviceConfigFromEnv } from '../../lib/config.ts';
import { serviceByName, topologyFromEnv } from '../../lib/topology.ts';
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
const self = serviceByName(topology, 'orders');
const server = await createOrdersServer({
  topology,
  config: serviceConfigFromEnv(),
  faults: faultsFromEnv(),
  inDoubtTimeoutMs: intEnv('TERANGA_INDOUBT_TIMEOUT_MS'),
  recoveryIntervalMs: intEnv('TERANGA_RECOVERY_INTERVAL_MS'),
});
const running = await server.listen(self.port, self.listenHost);
console.log(JSON.stringify({ service: 'orders', msg: 'ready', url: running.url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.stop().finally(() => process.exit(0));
  });
}
