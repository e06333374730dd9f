/**
 * Secrets of the local cluster, generated at first boot into the data directory (never committed).
 * Production sets the same variables from its own secret store.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Topology } from '../lib/topology.ts';

export interface LocalSecrets {
  TERANGA_INTERNAL_SECRET: string;
}

export function localSecrets(topology: Topology): LocalSecrets {
  const file = path.join(topology.dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  mkdirSync(topology.dataDir, { recursive: true });
  const secrets: LocalSecrets = { TERANGA_INTERNAL_SECRET: randomBytes(32).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}
