import { afterEach, describe, expect, it } from 'vitest';
import { serviceEnv } from '../cluster/services.ts';
import { buildTopology, serviceByName, topologyFromEnv } from '../lib/topology.ts';

describe('the environment a launched service gets', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['TERANGA_PORT', 'TERANGA_PG_PORT', 'TERANGA_HOME', 'TERANGA_NETWORK']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('rebuilds the topology the launcher was given, whatever the launcher process’s own environment says', () => {
    // one process may launch two clusters (the test tiers do): the service follows its cluster's ports
    process.env.TERANGA_PORT = '4000';
    process.env.TERANGA_PG_PORT = '15400';
    process.env.TERANGA_HOME = '/elsewhere';
    const topology = buildTopology({ servicePort: 24200, pgPort: 25600, dataDir: '/tmp/teranga-service-env' });
    const env = serviceEnv(topology, serviceByName(topology, 'region-thies'));
    const seen = topologyFromEnv({ ...env });
    expect(seen.dataDir).toBe(topology.dataDir);
    expect(seen.services.map((s) => [s.name, s.port])).toEqual(topology.services.map((s) => [s.name, s.port]));
    expect(seen.postgres.map((s) => [s.name, s.port])).toEqual(topology.postgres.map((s) => [s.name, s.port]));
    expect(env.SITE).toBe('thies');
  });
});
