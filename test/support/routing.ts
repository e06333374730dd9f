/**
 * What routing a catalogue read with no caller's city may take. The gateway asks its own site
 * (Dakar) first; Dakar answers every warehouse from its copies while they are within their age
 * bound, and the read stops there. A copy behind its bound (a burst of writes just before, a loaded
 * machine) makes Dakar refuse that warehouse, and the gateway then asks every site for its own
 * part. Both are correct: a test that asserts routing accepts either, and nothing else.
 */
import { expect } from 'vitest';
import { SITE_IDS } from '../../lib/sites.ts';

/** `sites`: the sites reached, in the order first reached, as lower-case site ids (`saint-louis`). */
export function expectCatalogueRouting(sites: readonly string[]): void {
  expect(sites[0], JSON.stringify(sites)).toBe('dakar');
  expect([['dakar'], [...SITE_IDS].sort()], JSON.stringify(sites)).toContainEqual([...new Set(sites)].sort());
}
