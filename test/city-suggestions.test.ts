/**
 * An unknown city is refused with UNKNOWN_CITY and the closest known cities, found whatever the
 * case or accents; `teranga route` says the same.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TerangaError } from '../lib/errors.ts';
import { closestCities, placement } from '../lib/placement.ts';
import { REPO_ROOT } from '../lib/topology.ts';

function refusal(city: string): TerangaError {
  try {
    placement(city);
  } catch (error) {
    if (error instanceof TerangaError) return error;
    throw error;
  }
  throw new Error(`${city} was placed`);
}

describe('closest known cities', () => {
  it.each([
    ['Thiess', 'Thiès'],
    ['THIESE', 'Thiès'],
    ['Tambakounda', 'Tambacounda'],
    ['zigincor', 'Ziguinchor'],
    ['Kedougu', 'Kédougou'],
    ['Saint Lous', 'Saint-Louis'],
  ])('%s → %s first', (typed, expected) => {
    expect(closestCities(typed)[0]).toBe(expected);
  });

  it('suggests nothing for a name far from every city, and at most three', () => {
    expect(closestCities('Paris')).toEqual([]);
    expect(closestCities('x'.repeat(5000))).toEqual([]);
    expect(closestCities('Kaola').length).toBeLessThanOrEqual(3);
  });

  it('placement refuses with UNKNOWN_CITY, the suggestions in its details and its message', () => {
    const error = refusal('Thiess');
    expect(error.code).toBe('UNKNOWN_CITY');
    expect(error.details).toEqual({ city: 'Thiess', suggestions: ['Thiès'] });
    expect(error.message).toContain('did you mean Thiès?');
    expect(refusal('Paris').message).not.toContain('did you mean');
  });
});

describe('teranga route', () => {
  it('prints UNKNOWN_CITY with the suggestion and exits 1', () => {
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'teranga.js'), 'route', 'Tambakounda'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error [UNKNOWN_CITY]');
    expect(run.stderr).toContain('did you mean Tambacounda?');
  });
});
