import { generateKeyPairSync } from 'node:crypto';
import type { Command } from 'commander';

/** A PEM key as one line of a .env file (newlines written `\n`, which the services read back). */
const oneLine = (pem: string) => `"${pem.trim().replace(/\n/g, '\\n')}"`;

/**
 * `teranga keys`: a fresh Ed25519 key pair for a deployment's tokens, as .env lines. The services
 * get TERANGA_JWT_PUBLIC_KEY; TERANGA_JWT_PRIVATE_KEY stays with whoever issues tokens.
 */
export function registerKeys(program: Command): void {
  program
    .command('keys')
    .description('print a new token key pair as .env lines (for docker compose or a secret store)')
    .action(() => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      console.log(`TERANGA_JWT_PUBLIC_KEY=${oneLine(publicKey.export({ type: 'spki', format: 'pem' }).toString())}`);
      console.log(`TERANGA_JWT_PRIVATE_KEY=${oneLine(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())}`);
    });
}
