/**
 * `teranga`: the project CLI. Each subcommand lives in its own file under cli/commands/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { TerangaError } from '../lib/errors.ts';
import { directTopologyFromEnv, REPO_ROOT } from '../lib/topology.ts';
import { readState } from '../cluster/state.ts';
import { rememberedWanEnv } from '../cluster/wan-mode.ts';
import { registerBenchReplication } from './commands/bench-replication.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerRoute } from './commands/route.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerInitSecrets } from './commands/init-secrets.ts';
import { registerKeys } from './commands/keys.ts';
import { registerToken } from './commands/token.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerLogs } from './commands/logs.ts';
import { registerSql } from './commands/sql.ts';
import { registerPayments } from './commands/payments.ts';
import { registerWan } from './commands/wan.ts';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
// a cluster started with --wan stays under it for every later command (cluster/wan-mode.ts)
try {
  Object.assign(process.env, rememberedWanEnv(process.env, readState(directTopologyFromEnv({ ...process.env, TERANGA_WAN: '0' }))));
} catch {
  // no readable state or a bad setting: the command itself reports what is wrong
}

const program = new Command('teranga')
  .description('Teranga: distributed commerce over the Dakar, Thiès and Saint-Louis sites')
  .version((JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version, '-V, --version', 'print the version')
  .showHelpAfterError();

registerCluster(program);
registerBenchReplication(program);
registerRoute(program);
registerGenerate(program);
registerToken(program);
registerKeys(program);
registerInitSecrets(program);
registerSimulate(program);
registerLogs(program);
registerSql(program);
registerPayments(program);
registerWan(program);

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
