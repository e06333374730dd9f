/**
 * Secrets of the local cluster, generated at first boot into the data directory (never committed):
 * the internal secret the services present to each other, and the Ed25519 key pair of the tokens
 * (`teranga token` signs with the private key; the services only get the public one).
 * Production sets the same variables from its own secret store.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Topology } from '../lib/topology.ts';

export interface LocalSecrets {
  TERANGA_INTERNAL_SECRET: string;
  /** PKCS#8 PEM; signs tokens. */
  TERANGA_JWT_PRIVATE_KEY: string;
  /** SPKI PEM; verifies tokens. */
  TERANGA_JWT_PUBLIC_KEY: string;
}

function tokenKeyPair(): Pick<LocalSecrets, 'TERANGA_JWT_PRIVATE_KEY' | 'TERANGA_JWT_PUBLIC_KEY'> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    TERANGA_JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    TERANGA_JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const secretsFile = (topology: Topology) => path.join(topology.dataDir, 'secrets.json');

/**
 * The secrets a cluster in this data directory was started with, or null when none ever was:
 * for the commands that must use the running cluster's key and never invent one.
 */
export function existingLocalSecrets(topology: Topology): LocalSecrets | null {
  const file = secretsFile(topology);
  if (!existsSync(file)) return null;
  const existing = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  return existing.TERANGA_INTERNAL_SECRET && existing.TERANGA_JWT_PRIVATE_KEY && existing.TERANGA_JWT_PUBLIC_KEY ? (existing as LocalSecrets) : null;
}

/** The cluster's secrets, generated on first use (by `teranga up`). */
export function localSecrets(topology: Topology): LocalSecrets {
  const file = secretsFile(topology);
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  if (existing.TERANGA_INTERNAL_SECRET && existing.TERANGA_JWT_PRIVATE_KEY && existing.TERANGA_JWT_PUBLIC_KEY) {
    return existing as LocalSecrets;
  }
  // a data directory from before tokens keeps its internal secret and gains a key pair
  const keys = existing.TERANGA_JWT_PRIVATE_KEY && existing.TERANGA_JWT_PUBLIC_KEY
    ? { TERANGA_JWT_PRIVATE_KEY: existing.TERANGA_JWT_PRIVATE_KEY, TERANGA_JWT_PUBLIC_KEY: existing.TERANGA_JWT_PUBLIC_KEY }
    : tokenKeyPair();
  const secrets: LocalSecrets = {
    TERANGA_INTERNAL_SECRET: existing.TERANGA_INTERNAL_SECRET ?? randomBytes(32).toString('base64url'),
    ...keys,
  };
  mkdirSync(topology.dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

/** What a service is given: everything but the signing key, which only the token issuer holds. */
export function serviceSecrets(topology: Topology): Omit<LocalSecrets, 'TERANGA_JWT_PRIVATE_KEY'> {
  const { TERANGA_JWT_PRIVATE_KEY: _signingKey, ...shared } = localSecrets(topology);
  return shared;
}
