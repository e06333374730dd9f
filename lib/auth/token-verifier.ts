/**
 * Verifies the bearer tokens callers present. The gateway verifies every request's token, and each
 * subgraph verifies it again (the gateway forwards it as it came), so a request sent straight to a
 * subgraph's port cannot claim an identity it cannot prove.
 *
 * Only asymmetric algorithms are accepted: the services hold the public key alone and cannot mint
 * tokens, and an `alg: none` or HMAC token signed with the public key as a secret is refused.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { TerangaError } from '../errors.ts';
import type { AuthConfig } from './auth-config.ts';
import { ROLES, type Principal, type Role } from './principal.ts';

export interface TokenVerifier {
  /** @throws TerangaError UNAUTHENTICATED when the token is malformed, expired, tampered with or not ours */
  verify(token: string): Promise<Principal>;
}

/** A client id as the databases hold it: a positive 32-bit integer, written without leading zeros. */
const CLIENT_ID = /^[1-9]\d{0,9}$/;
const MAX_CLIENT_ID = 2_147_483_647;

const ASYMMETRIC = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'RS256', 'PS256'];

/** The algorithms a PEM public key can verify. */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      throw new Error(`TERANGA_JWT_PUBLIC_KEY: unsupported elliptic curve ${curve}`);
    }
    case 'rsa':
      return ['RS256', 'PS256'];
    default:
      throw new Error(`TERANGA_JWT_PUBLIC_KEY: unsupported key type ${key.asymmetricKeyType}`);
  }
}

function unauthenticated(message: string): TerangaError {
  return new TerangaError('UNAUTHENTICATED', message);
}

/** The principal a verified token names. @throws TerangaError UNAUTHENTICATED */
export function principalOfClaims(payload: JWTPayload): Principal {
  const role = payload.role;
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '' || subject.length > 200) throw unauthenticated('The token names no subject');
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw unauthenticated('The token names no known role');
  if ((role as Role) === 'admin') return { kind: 'admin', subject };
  if (!CLIENT_ID.test(subject) || Number(subject) > MAX_CLIENT_ID) throw unauthenticated('A customer token\'s subject must be a client id');
  return { kind: 'customer', clientId: subject };
}

export interface TokenVerifierOptions {
  /** The clock of the expiry checks (tests move it). */
  readonly now?: () => number;
  /** Tokens whose verification is remembered at most; the oldest is dropped first. */
  readonly cacheEntries?: number;
  /** Called on each signature verification, cache misses only (metrics, tests). */
  readonly onVerify?: () => void;
}

export const DEFAULT_VERIFIED_TOKEN_ENTRIES = 10_000;

/**
 * @throws Error naming the setting when the key cannot be read (at start, not per request)
 *
 * A token that verified is remembered until it expires: the same bytes under the same key verify
 * the same way, and a customer's session sends its token with every request, which every hop
 * (the gateway, then each subgraph) would otherwise check again with a signature verification.
 * Refusals are not remembered, so a bad token costs what it always did.
 */
export function createTokenVerifier(config: AuthConfig, verifierOptions: TokenVerifierOptions = {}): TokenVerifier {
  const now = verifierOptions.now ?? Date.now;
  const maxEntries = verifierOptions.cacheEntries ?? DEFAULT_VERIFIED_TOKEN_ENTRIES;
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  const text = config.verificationKey.trim();
  let key: KeyObject | ReturnType<typeof createLocalJWKSet>;
  let algorithms: string[];
  if (text.startsWith('{')) {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(text) as JSONWebKeySet;
    } catch {
      throw new Error('TERANGA_JWT_PUBLIC_KEY: neither a PEM key nor a JWKS document');
    }
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('TERANGA_JWT_PUBLIC_KEY: the JWKS document has no keys');
    key = createLocalJWKSet(jwks);
    algorithms = ASYMMETRIC;
  } else {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(text);
    } catch (error) {
      throw new Error(`TERANGA_JWT_PUBLIC_KEY: not a PEM public key (${(error as Error).message})`);
    }
    key = publicKey;
    algorithms = algorithmsOf(publicKey);
  }
  const baseOptions = { issuer: config.issuer, audience: config.audience, algorithms, requiredClaims: ['exp', 'sub'], clockTolerance: 5 };

  return {
    async verify(token) {
      const remembered = verified.get(token);
      // the remembered answer holds until the token's own expiry, without the clock tolerance
      if (remembered && now() < remembered.expiresAt) return remembered.principal;
      if (remembered) verified.delete(token);
      try {
        const options = { ...baseOptions, currentDate: new Date(now()) };
        verifierOptions.onVerify?.();
        // two calls for jose's two overloads (a key, a key set)
        const { payload } =
          key instanceof Function ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        const principal = principalOfClaims(payload);
        if (maxEntries > 0 && typeof payload.exp === 'number') {
          verified.set(token, { principal, expiresAt: payload.exp * 1000 });
          if (verified.size > maxEntries) verified.delete(verified.keys().next().value as string);
        }
        return principal;
      } catch (error) {
        if (error instanceof TerangaError) throw error;
        if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired');
        // signed, but not by a key this deployment holds: another cluster's, or an old rotated-out key
        if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
          throw unauthenticated("The token's signature matches no key this cluster knows: it was signed by another cluster's or deployment's key, or altered since (check TERANGA_HOME, or mint it with this cluster's key)");
        }
        if (error instanceof errors.JOSEError) throw unauthenticated('The token is not valid');
        throw error;
      }
    },
  };
}

/**
 * The token of an `Authorization` header: null when there is none, undefined when the header is
 * not a bearer token (a malformed header is refused, not ignored).
 */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (header === undefined || header.trim() === '') return null;
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}
