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

export function requireCity(name: string): City {
  const city = findCity(name);
  if (!city) {
    throw new TerangaError('UNKNOWN_CITY', `Unknown city "${name}": it is not in Teranga's placement table`, {
      city: name,
    });
  }
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
