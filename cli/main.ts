/**
 * `teranga`: the project CLI. Each subcommand lives in its own file under cli/commands/.
 */
import { Command } from 'commander';
import { TerangaError } from '../lib/errors.ts';
import { registerBenchReplication } from './commands/bench-replication.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerRoute } from './commands/route.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerInitSecrets } from './commands/init-secrets.ts';
import { registerKeys } from './commands/keys.ts';
import { registerToken } from './commands/token.ts';
import { registerSimulate } from './commands/simulate.ts';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

const program = new Command('teranga')
  .description('Teranga: distributed commerce over the Dakar, Thiès and Saint-Louis sites')
  .showHelpAfterError();

registerCluster(program);
registerBenchReplication(program);
registerRoute(program);
registerGenerate(program);
registerToken(program);
registerKeys(program);
registerInitSecrets(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof TerangaError) {
    console.error(`error [${error.code}]: ${error.message}`);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exitCode = 1;
}
