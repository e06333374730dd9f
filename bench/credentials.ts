/**
 * Tokens for the benchmarks, minted with the local cluster's signing key (as `teranga token` does).
 */
import { localSecrets } from '../cluster/secrets.ts';
import { signingConfigFromEnv } from '../lib/auth/auth-config.ts';
import { issueToken } from '../lib/auth/token-issuer.ts';
import type { Topology } from '../lib/topology.ts';

export async function bearer(topology: Topology, who: { clientId: number } | 'admin'): Promise<Record<string, string>> {
  const config = signingConfigFromEnv({ ...process.env, ...localSecrets(topology) });
  const token = await issueToken(
    config,
    who === 'admin' ? { role: 'admin', subject: 'benchmark' } : { role: 'customer', clientId: String(who.clientId) },
    { ttlSeconds: 3600 },
  );
  return { authorization: `Bearer ${token}` };
}
