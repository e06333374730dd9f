import { InvalidArgumentError, type Command } from 'commander';
import { existingLocalSecrets, type LocalSecrets } from '../../cluster/secrets.ts';
import { signingConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { issueToken, type TokenSubject } from '../../lib/auth/token-issuer.ts';
import { topologyFromEnv } from '../../lib/topology.ts';

const DURATION = /^(\d{1,6})([smhd])$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const MAX_TTL_SECONDS = 30 * 86_400;

function parseTtl(raw: string): number {
  const match = DURATION.exec(raw.trim());
  if (!match) throw new InvalidArgumentError('a duration such as 30m, 8h or 7d');
  const seconds = Number(match[1]) * SECONDS[match[2] as keyof typeof SECONDS];
  if (seconds < 1 || seconds > MAX_TTL_SECONDS) throw new InvalidArgumentError('from 1s to 30d');
  return seconds;
}

function parseClientId(raw: string): string {
  if (!/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > 2_147_483_647) throw new InvalidArgumentError('a client id (a positive whole number)');
  return raw;
}

/**
 * The signing key of the cluster started in TERANGA_HOME. A new key would sign tokens that no
 * running cluster accepts, so none is made here: only `teranga up` creates a cluster's keys.
 */
function clusterSecrets(): LocalSecrets {
  const topology = topologyFromEnv();
  const secrets = existingLocalSecrets(topology);
  if (secrets) return secrets;
  const home = process.env.TERANGA_HOME ? `TERANGA_HOME=${process.env.TERANGA_HOME}` : 'TERANGA_HOME is not set';
  throw new Error(
    `No cluster has ever been started in ${topology.dataDir} (${home}; no secrets.json there), so there is no key to sign with.\n` +
      'Set TERANGA_HOME to the data directory of the running cluster (the one `npx teranga up` used), start a cluster with `npx teranga up`, ' +
      "or give a deployment's signing key in TERANGA_JWT_PRIVATE_KEY.",
  );
}

/**
 * `teranga token`: prints a signed token, for curl (`Authorization: Bearer …`) and Apollo Sandbox.
 * The key is TERANGA_JWT_PRIVATE_KEY (or the file TERANGA_JWT_PRIVATE_KEY_FILE names: compose's
 * secrets service) when set, a deployment's own, else the local cluster's,
 * generated at its first boot.
 */
export function registerToken(program: Command): void {
  program
    .command('token')
    .description('print a signed access token for a customer (--client <id>) or an administrator (--admin)')
    .option('--client <id>', 'a customer token: the bearer may read and order for this client only', parseClientId)
    .option('--admin', 'an administrator token: every client, restocking, moving clients')
    .option('--name <name>', 'the administrator\'s name, the token\'s subject', 'admin')
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 7d… (at most 30d; default 1h)', parseTtl)
    .addHelpText('after', '\nExample:\n  curl -H "Authorization: Bearer $(npx teranga token --client 2)" …')
    .action(async (opts: { client?: string; admin?: boolean; name: string; ttl?: number }) => {
      if (Boolean(opts.client) === Boolean(opts.admin)) throw new Error('give exactly one of --client <id> and --admin');
      const env = process.env.TERANGA_JWT_PRIVATE_KEY || process.env.TERANGA_JWT_PRIVATE_KEY_FILE ? process.env : { ...process.env, ...clusterSecrets() };
      const subject: TokenSubject = opts.client ? { role: 'customer', clientId: opts.client } : { role: 'admin', subject: opts.name };
      console.log(await issueToken(signingConfigFromEnv(env), subject, { ttlSeconds: opts.ttl ?? 3600 }));
    });
}
