/**
 * The CLI's commands that need no cluster: the version, and `teranga token`, which must not
 * invent a signing key where no cluster was ever started. Each runs the real `teranga` binary.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/topology.ts';

const run = promisify(execFile);

async function teranga(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/teranga.js', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const empty = mkdtempSync(path.join(os.tmpdir(), 'teranga-no-cluster-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('teranga --version', () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await teranga(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('teranga token where no cluster was ever started', () => {
  it('refuses, naming TERANGA_HOME, and creates no key', async () => {
    const home = path.join(empty, 'home');
    const result = await teranga(['token', '--admin'], { TERANGA_HOME: home, TERANGA_JWT_PRIVATE_KEY: undefined });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`TERANGA_HOME=${home}`);
    expect(result.stderr).toMatch(/No cluster has ever been started/);
    expect(existsSync(path.join(home, 'secrets.json'))).toBe(false);
  });

  it("still signs with a deployment's own key (TERANGA_JWT_PRIVATE_KEY) wherever TERANGA_HOME points", async () => {
    const keys = await teranga(['keys']);
    const privateKey = /TERANGA_JWT_PRIVATE_KEY="(.*)"/.exec(keys.stdout)![1]!;
    const result = await teranga(['token', '--client', '2'], { TERANGA_HOME: path.join(empty, 'other'), TERANGA_JWT_PRIVATE_KEY: privateKey });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
