import type { Command } from 'commander';
import { SECRETS } from '../../cluster/compose.ts';
import { ensureSecrets, type SecretOutcome } from '../../cluster/compose-secrets.ts';

const SAID: Record<SecretOutcome, string> = {
  generated: 'generated',
  kept: 'kept from an earlier start',
  given: 'given by the environment, none generated',
};

/** `teranga init-secrets`: what compose's one-shot `secrets` service runs at every start. */
export function registerInitSecrets(program: Command): void {
  program
    .command('init-secrets')
    .description('make the internal secret and the token key pair into directories unless they exist (compose\'s secrets service)')
    .option('--dir <dir>', 'the internal secret and the public key, for every service', SECRETS.dir)
    .option('--signing-dir <dir>', 'the private key, for the token issuer only', SECRETS.signingDir)
    .action((opts: { dir: string; signingDir: string }) => {
      const report = ensureSecrets({ ...SECRETS, dir: opts.dir, signingDir: opts.signingDir });
      console.log(`internal secret: ${SAID[report.internalSecret]}`);
      console.log(`token key pair: ${SAID[report.tokenKeys]}`);
    });
}
