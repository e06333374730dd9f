/**
 * The pieces of compose's first start that need no Docker: settings given as files, the secrets the
 * one-shot service makes (and keeps, and does not make when the deployment brings its own), and
 * the Debian mirror the compose test reads from apt's configuration.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRETS } from '../cluster/compose.ts';
import { ensureSecrets } from '../cluster/compose-secrets.ts';
import { requireEnv, serviceConfigFromEnv } from '../lib/config.ts';
import { authConfigFromEnv } from '../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../lib/auth/token-verifier.ts';
import { aptMirror } from './support/local-images.ts';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teranga-secrets-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('settings given as files (NAME_FILE)', () => {
  it('reads the file when the value is not set, without its final newline', () => {
    const file = path.join(scratch(), 'secret');
    writeFileSync(file, 'a-secret-of-enough-length\n');
    expect(requireEnv('TERANGA_INTERNAL_SECRET', { TERANGA_INTERNAL_SECRET_FILE: file })).toBe('a-secret-of-enough-length');
    // an empty value (compose's `${NAME:-}`) counts as not set
    expect(requireEnv('TERANGA_INTERNAL_SECRET', { TERANGA_INTERNAL_SECRET: '', TERANGA_INTERNAL_SECRET_FILE: file })).toBe('a-secret-of-enough-length');
  });

  it('prefers the value itself over the file', () => {
    const file = path.join(scratch(), 'secret');
    writeFileSync(file, 'from-the-file-0123456789');
    expect(requireEnv('TERANGA_INTERNAL_SECRET', { TERANGA_INTERNAL_SECRET: 'from-the-env-0123456789', TERANGA_INTERNAL_SECRET_FILE: file })).toBe('from-the-env-0123456789');
  });

  it('fails naming the setting when neither is set, or the file is missing or empty', () => {
    expect(() => requireEnv('TERANGA_JWT_PUBLIC_KEY', {})).toThrow('Missing setting TERANGA_JWT_PUBLIC_KEY');
    const missing = path.join(scratch(), 'nothing-here');
    expect(() => requireEnv('TERANGA_JWT_PUBLIC_KEY', { TERANGA_JWT_PUBLIC_KEY_FILE: missing })).toThrow(`TERANGA_JWT_PUBLIC_KEY_FILE: cannot read ${missing} (ENOENT)`);
    const empty = path.join(scratch(), 'empty');
    writeFileSync(empty, '');
    expect(() => requireEnv('TERANGA_JWT_PUBLIC_KEY', { TERANGA_JWT_PUBLIC_KEY_FILE: empty })).toThrow('Missing setting TERANGA_JWT_PUBLIC_KEY');
  });
});

describe('the secrets of a compose deployment', () => {
  const layout = () => {
    const root = scratch();
    return { ...SECRETS, dir: path.join(root, 'secrets'), signingDir: path.join(root, 'signing-key') };
  };

  it('are generated at the first start, usable by the services, with the private key apart', () => {
    const dirs = layout();
    expect(ensureSecrets(dirs, {})).toEqual({ internalSecret: 'generated', tokenKeys: 'generated' });
    const env = {
      TERANGA_INTERNAL_SECRET_FILE: path.join(dirs.dir, SECRETS.internalSecretFile),
      TERANGA_JWT_PUBLIC_KEY_FILE: path.join(dirs.dir, SECRETS.publicKeyFile),
    };
    expect(serviceConfigFromEnv(env).internalSecret.length).toBeGreaterThanOrEqual(32);
    expect(() => createTokenVerifier(authConfigFromEnv(env))).not.toThrow();
    expect(readFileSync(path.join(dirs.signingDir, SECRETS.privateKeyFile), 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(statSync(path.join(dirs.signingDir, SECRETS.privateKeyFile)).mode & 0o077).toBe(0);
    expect(statSync(path.join(dirs.dir, SECRETS.internalSecretFile)).mode & 0o077).toBe(0);
  });

  it('are kept at every later start', () => {
    const dirs = layout();
    ensureSecrets(dirs, {});
    const files = [path.join(dirs.dir, SECRETS.internalSecretFile), path.join(dirs.dir, SECRETS.publicKeyFile), path.join(dirs.signingDir, SECRETS.privateKeyFile)];
    const before = files.map((f) => readFileSync(f, 'utf8'));
    expect(ensureSecrets(dirs, {})).toEqual({ internalSecret: 'kept', tokenKeys: 'kept' });
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(before);
  });

  it('make a new pair when half of it is gone (a removed volume)', () => {
    const dirs = layout();
    ensureSecrets(dirs, {});
    const publicKey = readFileSync(path.join(dirs.dir, SECRETS.publicKeyFile), 'utf8');
    rmSync(path.join(dirs.signingDir, SECRETS.privateKeyFile));
    expect(ensureSecrets(dirs, {})).toEqual({ internalSecret: 'kept', tokenKeys: 'generated' });
    expect(readFileSync(path.join(dirs.dir, SECRETS.publicKeyFile), 'utf8')).not.toBe(publicKey);
  });

  it('are not generated when the deployment gives its own', () => {
    const dirs = layout();
    const report = ensureSecrets(dirs, { TERANGA_INTERNAL_SECRET: 'our-own-secret-0123456789', TERANGA_JWT_PUBLIC_KEY: 'our own key' });
    expect(report).toEqual({ internalSecret: 'given', tokenKeys: 'given' });
    expect(() => statSync(path.join(dirs.signingDir, SECRETS.privateKeyFile))).toThrow();
    expect(() => statSync(path.join(dirs.dir, SECRETS.internalSecretFile))).toThrow();
  });
});

describe("the Debian mirror of apt's configuration", () => {
  it('is read from deb822 sources, skipping the security suite, and from one-line lists', () => {
    const root = scratch();
    mkdirSync(path.join(root, 'sources.list.d'));
    writeFileSync(
      path.join(root, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n' +
        'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n',
    );
    expect(aptMirror(root)).toBe('http://mirror.example/debian');
    const other = scratch();
    writeFileSync(path.join(other, 'sources.list'), '# comment\ndeb [arch=amd64] http://other.example/debian bookworm main\n');
    expect(aptMirror(other)).toBe('http://other.example/debian');
    expect(() => aptMirror(scratch())).toThrow('no Debian mirror for bookworm');
  });
});
