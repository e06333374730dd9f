/**
 * Token settings, read once at start from the environment:
 * - `TERANGA_JWT_PUBLIC_KEY` (required by the gateway and every subgraph): the key that verifies
 *   tokens, as a PEM public key (Ed25519, P-256 or RSA) or as a JWKS document (`{"keys": [...]}`,
 *   several keys for a rotation, chosen by `kid`). Newlines may be written `\n` (for .env files);
 * - `TERANGA_JWT_ISSUER` (default `teranga`) and `TERANGA_JWT_AUDIENCE` (default `teranga-api`):
 *   a token must carry exactly these `iss` and `aud`;
 * - `TERANGA_JWT_PRIVATE_KEY`: the PEM private key that signs tokens. Only the issuer needs it
 *   (`teranga token`, or the identity provider in production); no service reads it.
 */
import { requireEnv } from '../config.ts';

export interface AuthConfig {
  /** A PEM public key or a JWKS document. */
  readonly verificationKey: string;
  readonly issuer: string;
  readonly audience: string;
}

export interface SigningConfig {
  readonly privateKey: string;
  readonly issuer: string;
  readonly audience: string;
}

export const DEFAULT_ISSUER = 'teranga';
export const DEFAULT_AUDIENCE = 'teranga-api';

/** PEM keys pasted into a one-line variable keep their newlines as `\n`. */
export function unescapeKey(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

function claims(env: NodeJS.ProcessEnv): { issuer: string; audience: string } {
  return { issuer: env.TERANGA_JWT_ISSUER || DEFAULT_ISSUER, audience: env.TERANGA_JWT_AUDIENCE || DEFAULT_AUDIENCE };
}

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  return Object.freeze({ verificationKey: unescapeKey(requireEnv('TERANGA_JWT_PUBLIC_KEY', env)), ...claims(env) });
}

export function signingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SigningConfig {
  return Object.freeze({ privateKey: unescapeKey(requireEnv('TERANGA_JWT_PRIVATE_KEY', env)), ...claims(env) });
}
