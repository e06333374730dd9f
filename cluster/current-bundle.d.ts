/** Types of cluster/current-bundle.js (plain JavaScript: bin/teranga.js reads it before any TypeScript loader). */
export interface BundleManifest {
  /** Directory of the bundles, relative to the cache. */
  readonly dir: string;
  /** Every source a bundle holds, relative to the repository, with its size and modification time then. */
  readonly inputs: Readonly<Record<string, readonly [size: number, mtimeMs: number]>>;
  readonly entries: readonly string[];
}
export function bundleCache(root: string): string;
export function pointerFile(root: string): string;
export function bundleName(entry: string): string;
export const CLI_ENTRY: 'cli/main.ts';
export function readManifest(root: string): BundleManifest | null;
export function unchanged(root: string, manifest: BundleManifest): boolean;
export function currentBundle(root: string, entry: string): string | null;
