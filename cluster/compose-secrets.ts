/**
 * The secrets of a compose deployment, made at its first start by the one-shot `secrets` service
 * (`teranga init-secrets`) into volumes, and kept there: the internal secret and the token public
 * key in one directory (read by every service), the private key in another (read by the token
 * issuer only). A value the environment already gives (a deployment's own) is not generated.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SecretDirs {
  /** Internal secret and public key: mounted read-only into the services. */
  readonly dir: string;
  /** Private key: the issuer's only. */
  readonly signingDir: string;
  readonly internalSecretFile: string;
  readonly publicKeyFile: string;
  readonly privateKeyFile: string;
}

export type SecretOutcome = 'generated' | 'kept' | 'given';

export interface SecretReport {
  readonly internalSecret: SecretOutcome;
  readonly tokenKeys: SecretOutcome;
}

function readNonEmpty(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const content = readFileSync(file, 'utf8').trim();
  return content || undefined;
}

/** Written whole or not at all, so an interrupted first start is redone at the next one. */
function writeAtomically(file: string, content: string, mode: number): void {
  const staging = `${file}.partial`;
  writeFileSync(staging, content, { mode });
  renameSync(staging, file);
}

export function ensureSecrets(dirs: SecretDirs, env: NodeJS.ProcessEnv = process.env): SecretReport {
  mkdirSync(dirs.dir, { recursive: true });
  mkdirSync(dirs.signingDir, { recursive: true });

  const secretFile = path.join(dirs.dir, dirs.internalSecretFile);
  let internalSecret: SecretOutcome;
  if (env.TERANGA_INTERNAL_SECRET) {
    internalSecret = 'given';
  } else if ((readNonEmpty(secretFile) ?? '').length >= 16) {
    internalSecret = 'kept';
  } else {
    writeAtomically(secretFile, randomBytes(32).toString('base64url') + '\n', 0o600);
    internalSecret = 'generated';
  }

  const publicFile = path.join(dirs.dir, dirs.publicKeyFile);
  const privateFile = path.join(dirs.signingDir, dirs.privateKeyFile);
  let tokenKeys: SecretOutcome;
  if (env.TERANGA_JWT_PUBLIC_KEY) {
    tokenKeys = 'given';
  } else if (readNonEmpty(publicFile) && readNonEmpty(privateFile)) {
    tokenKeys = 'kept';
  } else {
    // half a pair (one volume removed) is no pair: make both again
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeAtomically(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    writeAtomically(publicFile, publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o644);
    tokenKeys = 'generated';
  }
  return { internalSecret, tokenKeys };
}
