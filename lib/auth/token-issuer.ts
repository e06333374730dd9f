/**
 * Mints tokens with the signing key: the local cluster's `teranga token` and the test suite use
 * it. In production tokens come from the identity provider that holds TERANGA_JWT_PRIVATE_KEY.
 */
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningConfig } from './auth-config.ts';

export type TokenSubject = { readonly role: 'customer'; readonly clientId: string } | { readonly role: 'admin'; readonly subject: string };

export interface IssueOptions {
  /** Lifetime in seconds (default one hour). */
  readonly ttlSeconds?: number;
  /** Seconds since the epoch the token is issued at (tests make expired tokens with it). */
  readonly now?: number;
}

function algorithmOf(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ES384' : 'ES256';
    case 'rsa':
      return 'RS256';
    default:
      throw new Error(`TERANGA_JWT_PRIVATE_KEY: unsupported key type ${key.asymmetricKeyType}`);
  }
}

export async function issueToken(config: SigningConfig, subject: TokenSubject, options: IssueOptions = {}): Promise<string> {
  const key = createPrivateKey(config.privateKey);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const ttl = options.ttlSeconds ?? 3600;
  return new SignJWT({ role: subject.role })
    .setProtectedHeader({ alg: algorithmOf(key), typ: 'JWT' })
    .setSubject(subject.role === 'customer' ? subject.clientId : subject.subject)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(key);
}
