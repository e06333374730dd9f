/**
 * Runs the products subgraph on the topology's `products` port. Environment: see topologyFromEnv().
 */
import { serviceByName, topologyFromEnv } from '../../lib/topology.ts';
import { createProductsServer } from './server.ts';

try {
  const topology = topologyFromEnv();
  const service = serviceByName(topology, 'products-subgraph');
  const server = await createProductsServer({ topology });
  const running = await server.listen(service.port, service.listenHost);
  console.log(`products subgraph ready at ${running.url}`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`products subgraph: ${signal} received, stopping`);
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      console.error('products subgraph: unclean stop', error);
      process.exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  console.error(`products subgraph failed to start: ${(error as Error).message}`);
  process.exit(1);
}
