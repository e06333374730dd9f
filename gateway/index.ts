/**
 * Starts the gateway on the topology's gateway port. Environment, besides topologyFromEnv()'s:
 * - `TERANGA_INTERNAL_SECRET` (required): authenticates the gateway to the client directory;
 * - `SUPERGRAPH_FILE`: serve this prebuilt supergraph (a container ships schema/supergraph.graphql)
 *   instead of composing schema/*.graphql at start;
 * - `TERANGA_SUBGRAPH_TIMEOUT_MS` (default 15000): deadline of one subgraph request, after which
 *   its fields get SITE_UNAVAILABLE.
 */
import { readFile } from 'node:fs/promises';
import { serviceConfigFromEnv } from '../lib/config.ts';
import { serviceByName, topologyFromEnv } from '../lib/topology.ts';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from './forwarding-data-source.ts';
import { createGateway } from './server.ts';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';

function timeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.TERANGA_SUBGRAPH_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_SUBGRAPH_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`TERANGA_SUBGRAPH_TIMEOUT_MS must be a positive number of milliseconds, got "${raw}"`);
  return value;
}

try {
  const topology = topologyFromEnv();
  const config = serviceConfigFromEnv();
  const subgraphTimeoutMs = timeoutFromEnv(process.env);
  const supergraphFile = process.env.SUPERGRAPH_FILE;
  const supergraphSdl = supergraphFile ? await readFile(supergraphFile, 'utf8') : undefined;
  const self = serviceByName(topology, 'gateway');

  const gateway = await createGateway({ topology, config, supergraphSdl, subgraphTimeoutMs });
  // in a container the gateway must answer on every interface; locally, only where the topology says
  const host = topology.network === 'compose' ? '0.0.0.0' : self.host;
  const running = await gateway.listen(self.port, host);
  const origin = `http://${self.host}:${running.port}`;
  console.log(`gateway ready at ${origin}/graphql (Apollo Sandbox in a browser)`);
  console.log(`gateway REST API at ${origin}/api (docs ${origin}/api/docs/, OpenAPI ${origin}/api/openapi.json)`);
  console.log(`gateway supergraph ${supergraphFile ? `from ${supergraphFile}` : 'composed from schema/*.graphql'}`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`gateway: ${signal} received, stopping`);
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      console.error('gateway: unclean stop', error);
      process.exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  console.error(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
}
