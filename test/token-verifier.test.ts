/**
 * Token verification on its own: the key forms a deployment may configure (PEM, JWKS with a
 * rotation), and the tokens that must never pass whatever their signature says.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../lib/auth/auth-config.ts';
import { issueToken } from '../lib/auth/token-issuer.ts';
import { bearerToken, createTokenVerifier } from '../lib/auth/token-verifier.ts';
import { TerangaError } from '../lib/errors.ts';

const claims = { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE };

function pair(type: 'ed25519' | 'ec') {
  const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TerangaError);
    return (error as TerangaError).code;
  }
  throw new Error('the token was accepted');
}

describe('token verification', () => {
  it('accepts tokens of an Ed25519 or a P-256 PEM key and names the principal', async () => {
    for (const type of ['ed25519', 'ec'] as const) {
      const keys = pair(type);
      const verifier = createTokenVerifier({ verificationKey: keys.publicPem, ...claims });
      const customer = await issueToken({ privateKey: keys.privatePem, ...claims }, { role: 'customer', clientId: '7' });
      expect(await verifier.verify(customer)).toEqual({ kind: 'customer', clientId: '7' });
      const admin = await issueToken({ privateKey: keys.privatePem, ...claims }, { role: 'admin', subject: 'ops' });
      expect(await verifier.verify(admin)).toEqual({ kind: 'admin', subject: 'ops' });
    }
  });

  it('accepts a JWKS with two keys during a rotation, choosing by kid', async () => {
    const [old, fresh] = [pair('ed25519'), pair('ed25519')];
    const jwks = { keys: [{ ...(await exportJWK(old.publicKey)), kid: 'old' }, { ...(await exportJWK(fresh.publicKey)), kid: 'new' }] };
    const verifier = createTokenVerifier({ verificationKey: JSON.stringify(jwks), ...claims });
    for (const [kid, keys] of [['old', old], ['new', fresh]] as const) {
      const token = await new SignJWT({ role: 'customer' })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject('3')
        .setIssuer(DEFAULT_ISSUER)
        .setAudience(DEFAULT_AUDIENCE)
        .setExpirationTime('5m')
        .sign(keys.privateKey);
      expect(await verifier.verify(token)).toEqual({ kind: 'customer', clientId: '3' });
    }
  });

  it('refuses an HMAC token keyed with the public key, a token without expiry, an unknown role, a customer who is not a client id', async () => {
    const keys = pair('ed25519');
    const verifier = createTokenVerifier({ verificationKey: keys.publicPem, ...claims });
    const base = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setSubject('7').setIssuer(DEFAULT_ISSUER).setAudience(DEFAULT_AUDIENCE);
    const confused = await base({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(keys.publicPem));
    const eternal = await base({ role: 'admin' }).setProtectedHeader({ alg: 'EdDSA' }).sign(keys.privateKey);
    const root = await base({ role: 'root' }).setProtectedHeader({ alg: 'EdDSA' }).setExpirationTime('5m').sign(keys.privateKey);
    const notAClient = await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject('07')
      .setIssuer(DEFAULT_ISSUER)
      .setAudience(DEFAULT_AUDIENCE)
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    for (const token of [confused, eternal, root, notAClient]) expect(await refusal(verifier.verify(token))).toBe('UNAUTHENTICATED');
  });

  it('reads only bearer credentials from the Authorization header', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc.def.ghi ')).toBe('abc.def.ghi');
    expect(bearerToken('Basic YWRtaW46YWRtaW4=')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });

  it('fails at start, naming the setting, on a key it cannot read', () => {
    expect(() => createTokenVerifier({ verificationKey: 'not a key', ...claims })).toThrow(/TERANGA_JWT_PUBLIC_KEY/);
    expect(() => createTokenVerifier({ verificationKey: '{"keys": []}', ...claims })).toThrow(/TERANGA_JWT_PUBLIC_KEY/);
  });
});

describe('a token signed by a key this deployment does not hold', () => {
  it('is refused with a message saying its signature matches no known key', async () => {
    const [ours, theirs] = [pair('ed25519'), pair('ed25519')];
    const foreign = await issueToken({ privateKey: theirs.privatePem, ...claims }, { role: 'admin', subject: 'ops' });
    for (const verificationKey of [ours.publicPem, JSON.stringify({ keys: [{ ...(await exportJWK(ours.publicKey)), kid: 'ours' }] })]) {
      const verifier = createTokenVerifier({ verificationKey, ...claims });
      const refused = await verifier.verify(foreign).then(() => null, (error: unknown) => error as TerangaError);
      expect(refused?.code).toBe('UNAUTHENTICATED');
      expect(refused?.message).toMatch(/signature matches no key this cluster knows/);
    }
  });
});

describe('verified tokens remembered until they expire', () => {
  it('verifies a token\'s signature once for repeated requests, and refuses it once expired', async () => {
    const keys = pair('ed25519');
    let now = Date.UTC(2026, 0, 1);
    let verifications = 0;
    const verifier = createTokenVerifier({ verificationKey: keys.publicPem, ...claims }, { now: () => now, onVerify: () => verifications++ });
    const token = await issueToken({ privateKey: keys.privatePem, ...claims }, { role: 'customer', clientId: '7' }, { now: now / 1000, ttlSeconds: 60 });
    for (let i = 0; i < 5; i++) expect(await verifier.verify(token)).toEqual({ kind: 'customer', clientId: '7' });
    expect(verifications).toBe(1);
    now += 59_000;
    expect(await verifier.verify(token)).toEqual({ kind: 'customer', clientId: '7' });
    expect(verifications).toBe(1);
    // past its expiry and the clock tolerance: verified anew, and refused
    now += 7_000;
    expect(await refusal(verifier.verify(token))).toBe('UNAUTHENTICATED');
    expect(verifications).toBe(2);
  });

  it('remembers no refusal: a tampered token is checked, and refused, every time', async () => {
    const keys = pair('ed25519');
    let verifications = 0;
    const verifier = createTokenVerifier({ verificationKey: keys.publicPem, ...claims }, { onVerify: () => verifications++ });
    const token = await issueToken({ privateKey: keys.privatePem, ...claims }, { role: 'customer', clientId: '7' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: '8' })).toString('base64url')}.${signature}`;
    expect(await verifier.verify(token)).toEqual({ kind: 'customer', clientId: '7' });
    for (let i = 0; i < 3; i++) expect(await refusal(verifier.verify(forged))).toBe('UNAUTHENTICATED');
    expect(verifications).toBe(4);
  });
});
