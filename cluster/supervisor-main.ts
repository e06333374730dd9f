/**
 * Entry of the supervisor process (cluster/supervisor.ts), started detached by `teranga up`.
 */
import { createLogger } from '../lib/service/logger.ts';
import { topologyFromEnv } from '../lib/topology.ts';
import { supervise } from './supervisor.ts';

const logger = createLogger('supervisor');
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.once('SIGINT', () => stop.abort());
await supervise(topologyFromEnv(), logger, stop.signal);
process.exit(0);
