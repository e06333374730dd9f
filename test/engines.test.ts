/**
 * The product runs on Node.js 20.19+: every package the lock file installs must accept that
 * version, or `npm install` warns EBADENGINE and the package may use APIs Node 20 lacks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/topology.ts';

interface LockFile {
  packages: Record<string, { version?: string; engines?: Record<string, string> | string[] }>;
}

const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as LockFile;
const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };

describe('Node.js engines', () => {
  const oldest = semver.minVersion(manifest.engines.node)!.version;

  it('the project declares Node 20.19 as its oldest runtime', () => {
    expect(oldest).toBe('20.19.0');
  });

  it('every locked package accepts the oldest supported Node', () => {
    const refused = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .flatMap(([name, entry]) => {
        const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
        if (!range || semver.satisfies(oldest, range, { includePrerelease: true })) return [];
        return [`${name.replace(/^.*node_modules\//, '')}@${entry.version} needs node ${range}`];
      });
    expect(refused).toEqual([]);
  });
});
