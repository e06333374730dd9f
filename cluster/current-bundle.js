// Plain JavaScript, so that bin/teranga.js can find the CLI's bundle before any TypeScript loader
// is registered; cluster/service-build.ts builds what this reads.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the bundles and the pointer to the current ones are kept. */
export const bundleCache = (root) => path.join(root, 'node_modules', '.cache', 'teranga-services');
export const pointerFile = (root) => path.join(bundleCache(root), 'current.json');
export const bundleName = (entry) => entry.replace(/\.ts$/, '');
/** The CLI's module, which bin/teranga.js runs from its bundle when that is current. */
export const CLI_ENTRY = 'cli/main.ts';

/** The manifest of the current bundles, or null. */
export function readManifest(root) {
  try {
    return JSON.parse(readFileSync(pointerFile(root), 'utf8'));
  } catch {
    return null;
  }
}

/** Whether every source of the manifest's bundles still has the size and modification time it was built from. */
export function unchanged(root, manifest) {
  return Object.entries(manifest.inputs).every(([file, [size, mtimeMs]]) => {
    try {
      const now = statSync(path.join(root, file));
      return now.size === size && now.mtimeMs === mtimeMs;
    } catch {
      return false;
    }
  });
}

/** The bundle of `entry` (a module path relative to the repository) if it is current, else null. */
export function currentBundle(root, entry) {
  const manifest = readManifest(root);
  if (!manifest || !manifest.entries.includes(entry) || !unchanged(root, manifest)) return null;
  const file = path.join(bundleCache(root), manifest.dir, `${bundleName(entry)}.mjs`);
  return existsSync(file) ? file : null;
}
