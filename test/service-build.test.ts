/**
 * The services' bundles (cluster/service-build.ts), built by the real esbuild into a repository of
 * its own and run by the real node: used while current, never once a source changed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBundle, ensureServiceBundles, recordedInput, serviceCommand } from '../cluster/service-build.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'teranga-bundles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
write('lib/where.ts', 'export const here: string = import.meta.url;\nexport const dir: string = import.meta.dirname;\n');
write('svc/index.ts', "import { dir, here } from '../lib/where.ts';\nconsole.log(JSON.stringify({ here, dir }));\n");
// packages: an ES module, a CommonJS one that requires a Node built-in, and one left unbundled
const pkg = (name: string, type: string, main: string) => {
  write(`node_modules/${name}/package.json`, JSON.stringify({ name, version: '1.0.0', type, main: 'index.js' }));
  write(`node_modules/${name}/index.js`, main);
};
pkg('fake-esm', 'module', "export const kind = 'esm';\n");
pkg('fake-cjs', 'commonjs', "module.exports = { sep: require('node:path').sep };\n");
pkg('pino', 'commonjs', "module.exports = { kind: 'left in node_modules' };\n");
write('svc/packages.ts', "import { kind } from 'fake-esm';\nimport cjs from 'fake-cjs';\nimport pino from 'pino';\nconsole.log(JSON.stringify({ kind, sep: cjs.sep, pino: pino.kind }));\n");

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

  it('holds the packages a service imports, but for the unbundled ones, and runs their CommonJS', async () => {
    expect(await ensureServiceBundles(root, ['svc/index.ts', 'svc/packages.ts'])).toBe(true);
    const bundle = currentBundle(root, 'svc/packages.ts')!;
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/from ["']fake-(esm|cjs)["']/);
    expect(text).toMatch(/from ["']pino["']/);
    // the bundled packages are not looked up in node_modules any more
    rmSync(path.join(root, 'node_modules', 'fake-esm', 'index.js'));
    const out = execFileSync(process.execPath, serviceCommand(root, 'svc/packages.ts'), { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ kind: 'esm', sep: '/', pino: 'left in node_modules' });
    write('node_modules/fake-esm/index.js', "export const kind = 'esm';\n");
  });

  it("records a package by its package.json, so that installing another version makes the bundle stale", async () => {
    expect(recordedInput('node_modules/kysely/dist/esm/index.js')).toBe('node_modules/kysely/package.json');
    expect(recordedInput('node_modules/@apollo/server/dist/esm/index.js')).toBe('node_modules/@apollo/server/package.json');
    expect(recordedInput('node_modules/a/node_modules/b/lib/x.js')).toBe('node_modules/a/node_modules/b/package.json');
    expect(recordedInput('lib/where.ts')).toBe('lib/where.ts');
    expect(currentBundle(root, 'svc/packages.ts')).not.toBeNull();
    write('node_modules/fake-cjs/package.json', JSON.stringify({ name: 'fake-cjs', version: '1.0.1', main: 'index.js' }));
    expect(currentBundle(root, 'svc/packages.ts')).toBeNull();
    expect(await ensureServiceBundles(root, ['svc/index.ts', 'svc/packages.ts'])).toBe(true);
    expect(currentBundle(root, 'svc/packages.ts')).not.toBeNull();
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
