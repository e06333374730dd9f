import { topologyFromEnv } from './lib/topology.ts';
import { up } from './cluster/cluster.ts';
const t = topologyFromEnv();
await up(t, { services: process.argv[2] === 'services', progress: (m) => console.log(m) });
