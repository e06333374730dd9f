import { distance } from 'fastest-levenshtein';
import { CITIES, type City } from './cities.ts';
import { SITES, SITE_IDS, type SiteId } from './sites.ts';
import { TerangaError } from './errors.ts';

/** Folds accents, case, hyphens and spacing so "SAINT LOUIS", "saint-louis" and "Saint Louis" meet. */
export function cityKey(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const BY_KEY: ReadonlyMap<string, City> = new Map(CITIES.map((c) => [cityKey(c.name), c]));

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

export function findCity(name: string): City | undefined {
  return BY_KEY.get(cityKey(name));
}

/** Longer input is no city name: nothing to suggest (and no quadratic work on hostile input). */
const SUGGEST_MAX_LENGTH = 40;

/**
 * The known cities closest to a name that is not one, nearest first (at most three): edit
 * distance between the folded names (accents, case and hyphens aside), within about a third of
 * the name's length, so "Thiess" finds Thiès and "Paris" finds nothing.
 * @example closestCities('Tambakounda') // ['Tambacounda']
 */
export function closestCities(name: string): string[] {
  const key = cityKey(name);
  if (key === '' || key.length > SUGGEST_MAX_LENGTH) return [];
  const within = Math.max(1, Math.floor(key.length / 3));
  return CITIES.map((c) => ({ name: c.name, d: distance(key, cityKey(c.name)) }))
    .filter((c) => c.d <= within)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((c) => c.name);
}

/** The message and details of UNKNOWN_CITY, "did you mean …?" included. */
export function unknownCity(name: string): TerangaError {
  const suggestions = closestCities(name);
  const hint = suggestions.length > 0 ? `: did you mean ${suggestions.join(' or ')}?` : '';
  const shown = name.length > SUGGEST_MAX_LENGTH ? `${name.slice(0, SUGGEST_MAX_LENGTH)}…` : name;
  return new TerangaError('UNKNOWN_CITY', `Unknown city "${shown}"${hint || ": it is not in Teranga's placement table"}`, {
    city: shown,
    suggestions,
  });
}

export function requireCity(name: string): City {
  const city = findCity(name);
  if (!city) throw unknownCity(name);
  return city;
}

export interface SiteDistance {
  readonly site: SiteId;
  readonly km: number;
}

/** Every site with its distance from the city, nearest first. */
export function siteDistances(city: string): SiteDistance[] {
  const c = requireCity(city);
  return SITE_IDS.map((site) => ({ site, km: distanceKm(c, requireCity(SITES[site].city)) })).sort(
    (a, b) => a.km - b.km,
  );
}

export interface Placement {
  /** Canonical city name, as stored. */
  readonly city: string;
  readonly site: SiteId;
  readonly distances: SiteDistance[];
}

/**
 * The site that serves a city: the nearest one by great-circle distance.
 * @example placement('kaolack').site // 'thies'
 * @throws TerangaError UNKNOWN_CITY naming the city
 */
export function placement(city: string): Placement {
  const c = requireCity(city);
  const distances = siteDistances(c.name);
  return { city: c.name, site: distances[0]!.site, distances };
}

/** Warehouses in the order an order from `site` draws on them: its own first, then the nearest. */
export function warehouseOrderFrom(site: SiteId): SiteId[] {
  return siteDistances(SITES[site].city).map((d) => d.site);
}

/** The placement table: every known city and its site. */
export function placementTable(): Placement[] {
  return CITIES.map((c) => placement(c.name));
}

/** Canonical names of the cities a site serves (the client fragment's CHECK constraint). */
export function citiesOfSite(site: SiteId): string[] {
  return placementTable()
    .filter((p) => p.site === site)
    .map((p) => p.city);
}
