/**
 * The Node services start from bundles that esbuild builds from their TypeScript once, not through
 * tsx's loader: its hooks see every module a service imports, Apollo's and graphql's included,
 * and double the CPU a service takes to start (about 1.7 s instead of 0.8 s for a gateway here).
 * A cluster starts 13 services, and restarts and test runs start many more on a 2-core machine.
 * The CLI runs from its bundle too (bin/teranga.js), which halves the start of every command.
 *
 * The bundles hold the project's own modules (the packages stay imports of node_modules) and are
 * kept in node_modules/.cache/teranga-services/, with the list of the sources they were built
 * from. A bundle is used only while none of those sources changed since (size and modification
 * time); otherwise a service starts through tsx as before, so an edit is never run stale, and
 * the next `up` builds again. Two launchers building at once each write a directory of their own;
 * the pointer to the current one is replaced atomically.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleCache, bundleName, CLI_ENTRY, currentBundle, pointerFile, readManifest, unchanged, type BundleManifest } from './current-bundle.js';

export { CLI_ENTRY, currentBundle };

/** Build directories no pointer names are removed once this old (a service may be starting from one). */
const STALE_BUILD_MS = 10 * 60_000;

/** Node's arguments that run the service module `entry` (relative to the repository). */
export function serviceCommand(root: string, entry: string): string[] {
  const bundle = currentBundle(root, entry);
  // the source maps keep the stack traces of a bundle pointing at the TypeScript lines
  return bundle ? ['--enable-source-maps', bundle] : ['--import', 'tsx', path.join(root, entry)];
}

/**
 * Each module's `import.meta.url` (and `dirname`, `filename`) is its source file's, as under tsx
 * (the repository's root is found from it), not the bundle's.
 */
function sourceLocations(): Plugin {
  return {
    name: 'source-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.')) return undefined;
        const contents = source
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Builds the bundles of `entries` unless current ones exist; returns whether it built. Bundles
 * missing or failing to build leave the services on tsx (the error is the caller's to report).
 */
export async function ensureServiceBundles(root: string, entries: readonly string[]): Promise<boolean> {
  const found = readManifest(root);
  const cache = bundleCache(root);
  // a current manifest whose directory is gone (a cache cleaned by hand) is built again
  if (found && entries.every((e) => found.entries.includes(e)) && existsSync(path.join(cache, found.dir)) && unchanged(root, found)) return false;
  const dir = `build-${process.pid}-${Date.now()}`;
  mkdirSync(cache, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries.map((e) => [bundleName(e), e])),
    outdir: path.join(cache, dir),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceLocations()],
  });
  const inputs: Record<string, readonly [number, number]> = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const stat = statSync(path.join(root, file));
    inputs[file] = [stat.size, stat.mtimeMs];
  }
  const manifest: BundleManifest = { dir, inputs, entries: [...entries] };
  const temporary = `${pointerFile(root)}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify(manifest));
  renameSync(temporary, pointerFile(root));
  removeOldBuilds(root, dir);
  return true;
}

function removeOldBuilds(root: string, current: string): void {
  const cache = bundleCache(root);
  for (const name of readdirSync(cache)) {
    if (!name.startsWith('build-') || name === current) continue;
    const where = path.join(cache, name);
    // another launcher may be removing the same directory
    const age = Date.now() - (statSync(where, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > STALE_BUILD_MS) rmSync(where, { recursive: true, force: true });
  }
}
