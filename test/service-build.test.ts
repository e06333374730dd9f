/**
 * The services' bundles (cluster/service-build.ts), built by the real esbuild into a repository of
 * its own and run by the real node: used while current, never once a source changed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBundle, ensureServiceBundles, serviceCommand } from '../cluster/service-build.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'teranga-bundles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
write('lib/where.ts', 'export const here: string = import.meta.url;\nexport const dir: string = import.meta.dirname;\n');
write('svc/index.ts', "import { dir, here } from '../lib/where.ts';\nconsole.log(JSON.stringify({ here, dir }));\n");

describe('service bundles', () => {
  it('builds once, then finds the bundle current and runs it', async () => {
    expect(currentBundle(root, 'svc/index.ts')).toBeNull();
    expect(serviceCommand(root, 'svc/index.ts')).toEqual(['--import', 'tsx', path.join(root, 'svc/index.ts')]);
    expect(await ensureServiceBundles(root, ['svc/index.ts'])).toBe(true);
    expect(await ensureServiceBundles(root, ['svc/index.ts'])).toBe(false);
    const bundle = currentBundle(root, 'svc/index.ts');
    expect(bundle).toMatch(/node_modules\/\.cache\/teranga-services\/build-[^/]+\/svc\/index\.mjs$/);
    expect(serviceCommand(root, 'svc/index.ts')).toEqual(['--enable-source-maps', bundle]);
  });

  it("keeps each module's import.meta.url and dirname those of its source, not the bundle's", () => {
    const out = execFileSync(process.execPath, serviceCommand(root, 'svc/index.ts'), { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ here: pathToFileURL(path.join(root, 'lib/where.ts')).href, dir: path.join(root, 'lib') });
  });

  it('is not used once a source changed, and the next build is', async () => {
    const later = new Date(Date.now() + 5_000);
    utimesSync(path.join(root, 'lib/where.ts'), later, later);
    expect(currentBundle(root, 'svc/index.ts')).toBeNull();
    expect(serviceCommand(root, 'svc/index.ts')[0]).toBe('--import');
    expect(await ensureServiceBundles(root, ['svc/index.ts'])).toBe(true);
    expect(currentBundle(root, 'svc/index.ts')).not.toBeNull();
  });

  it('builds again when the current bundles were removed', async () => {
    const bundle = currentBundle(root, 'svc/index.ts')!;
    rmSync(path.dirname(path.dirname(bundle)), { recursive: true, force: true });
    expect(currentBundle(root, 'svc/index.ts')).toBeNull();
    expect(await ensureServiceBundles(root, ['svc/index.ts'])).toBe(true);
    expect(currentBundle(root, 'svc/index.ts')).not.toBeNull();
  });

  it('builds again for an entry the current bundles lack', async () => {
    write('svc/other.ts', "console.log('other');\n");
    expect(currentBundle(root, 'svc/other.ts')).toBeNull();
    expect(await ensureServiceBundles(root, ['svc/index.ts', 'svc/other.ts'])).toBe(true);
    expect(execFileSync(process.execPath, serviceCommand(root, 'svc/other.ts'), { encoding: 'utf8' })).toBe('other\n');
  });
});
