/**
 * Tokens signed with the test cluster's key (generated at its first boot, like a local cluster's),
 * so the suites call the gateway and the subgraphs as a customer or an administrator would.
 */
import { localSecrets } from '../../cluster/secrets.ts';
import { signingConfigFromEnv, authConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { issueToken, type IssueOptions, type TokenSubject } from '../../lib/auth/token-issuer.ts';
import { createTokenVerifier, type TokenVerifier } from '../../lib/auth/token-verifier.ts';
import { topology } from './cluster.ts';

const env = () => ({ ...process.env, ...localSecrets(topology) });

export function mintToken(subject: TokenSubject, options: IssueOptions = {}): Promise<string> {
  return issueToken(signingConfigFromEnv(env()), subject, options);
}

const cache = new Map<string, Promise<string>>();

function cached(key: string, subject: TokenSubject): Promise<string> {
  let token = cache.get(key);
  if (!token) {
    token = mintToken(subject, { ttlSeconds: 3600 });
    cache.set(key, token);
  }
  return token;
}

export const adminToken = () => cached('admin', { role: 'admin', subject: 'test-admin' });
export const customerToken = (clientId: string | number) => cached(`customer:${clientId}`, { role: 'customer', clientId: String(clientId) });

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** `Authorization` headers of an administrator. */
export const asAdmin = async () => bearer(await adminToken());
/** `Authorization` headers of the customer who is this client. */
export const asCustomer = async (clientId: string | number) => bearer(await customerToken(clientId));

/** Verifies tokens with the test cluster's public key, for subgraphs started in-process. */
export function testTokenVerifier(): TokenVerifier {
  return createTokenVerifier(authConfigFromEnv(env()));
}
