/**
 * The simulated WAN's latency model: how long a round trip takes between two cities.
 *
 *   RTT = 2 × distance × ROUTE_FACTOR / FIBRE_SPEED + HOP_OVERHEAD
 *
 * - distance: great-circle (haversine) distance between the cities' coordinates (lib/cities.ts);
 * - ROUTE_FACTOR 1.5: terrestrial fibre follows roads and rail, not the geodesic; measured paths run
 *   1.5–2× the great-circle distance (Singla et al., "The Internet at the Speed of Light",
 *   HotNets 2014; Bozkurt et al., "Why Is the Internet so Slow?!", PAM 2017);
 * - FIBRE_SPEED 200 km/ms: light in silica fibre travels at about 2/3 c (refractive index ≈ 1.47);
 * - HOP_OVERHEAD 2 ms per round trip: routers, switches and serialisation on a few metro and
 *   national hops (a same-city round trip through an operator's network is typically 1–2 ms).
 *
 * Dakar–Thiès (≈ 56 km) gives ≈ 2.8 ms, Dakar–Saint-Louis (≈ 180 km) ≈ 4.7 ms, Dakar–Ziguinchor
 * (≈ 290 km) ≈ 6.4 ms. `TERANGA_WAN_RTT_MS` overrides the model per pair of sites
 * (`dakar:thies=8,dakar:saint-louis=14,thies:saint-louis=12`) or for every pair (`10`).
 * Pure: no I/O.
 */
import { CITIES, type City } from '../cities.ts';
import { SITE_IDS, SITES, type SiteId } from '../sites.ts';

export const EARTH_RADIUS_KM = 6371.0088;
export const ROUTE_FACTOR = 1.5;
export const FIBRE_SPEED_KM_PER_MS = 200;
export const HOP_OVERHEAD_MS = 2;
/** Largest RTT an override may set: beyond a geostationary satellite hop it is a typo. */
export const MAX_RTT_MS = 2_000;

export function cityNamed(name: string): City {
  const city = CITIES.find((c) => c.name === name);
  if (!city) throw new Error(`Unknown city "${name}"`);
  return city;
}

/** Great-circle distance in kilometres (haversine). */
export function greatCircleKm(a: Pick<City, 'lat' | 'lon'>, b: Pick<City, 'lat' | 'lon'>): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The model's RTT in milliseconds (rounded to 0.1 ms); 0 within one city. */
export function modelRttMs(a: Pick<City, 'lat' | 'lon'>, b: Pick<City, 'lat' | 'lon'>): number {
  const km = greatCircleKm(a, b);
  if (km === 0) return 0;
  return Math.round(((2 * km * ROUTE_FACTOR) / FIBRE_SPEED_KM_PER_MS + HOP_OVERHEAD_MS) * 10) / 10;
}

/** A pair of sites, in SITE_IDS order: `dakar:thies`. */
export type SitePair = `${SiteId}:${SiteId}`;

export function pairKey(a: SiteId, b: SiteId): SitePair {
  return SITE_IDS.indexOf(a) <= SITE_IDS.indexOf(b) ? `${a}:${b}` : `${b}:${a}`;
}

export class WanRttError extends Error {
  readonly code = 'BAD_WAN_RTT';
}

function parseRtt(raw: string, what: string): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > MAX_RTT_MS) {
    throw new WanRttError(`TERANGA_WAN_RTT_MS: ${what} must be a number of milliseconds between 0 and ${MAX_RTT_MS}, got "${raw}"`);
  }
  return value;
}

/**
 * Parses `TERANGA_WAN_RTT_MS`: empty → no override; one number → every pair;
 * otherwise `a:b=ms` items separated by commas (site ids, either order, each pair once).
 */
export function parseRttOverride(raw: string | undefined): Partial<Record<SitePair, number>> {
  const text = raw?.trim() ?? '';
  if (text === '') return {};
  const out: Partial<Record<SitePair, number>> = {};
  if (!text.includes('=')) {
    const value = parseRtt(text, 'the RTT');
    for (const [i, a] of SITE_IDS.entries()) for (const b of SITE_IDS.slice(i + 1)) out[pairKey(a, b)] = value;
    return out;
  }
  for (const item of text.split(',')) {
    const [pair, value, ...rest] = item.split('=');
    const sites = (pair ?? '').trim().toLowerCase().split(':');
    if (rest.length > 0 || value === undefined || sites.length !== 2) {
      throw new WanRttError(`TERANGA_WAN_RTT_MS: "${item}" is not "site:site=milliseconds"`);
    }
    const [a, b] = sites as [string, string];
    for (const s of [a, b]) {
      if (!(SITE_IDS as readonly string[]).includes(s)) throw new WanRttError(`TERANGA_WAN_RTT_MS: unknown site "${s}"; known: ${SITE_IDS.join(', ')}`);
    }
    if (a === b) throw new WanRttError(`TERANGA_WAN_RTT_MS: "${item}" pairs a site with itself`);
    const key = pairKey(a as SiteId, b as SiteId);
    if (out[key] !== undefined) throw new WanRttError(`TERANGA_WAN_RTT_MS: the pair ${key} is given twice`);
    out[key] = parseRtt(value, key);
  }
  return out;
}

export type RttMatrix = Readonly<Record<SitePair, number>>;

/** Every pair of sites' RTT: the override where given, the model elsewhere. Frozen. */
export function siteRttMatrix(override: Partial<Record<SitePair, number>> = {}): RttMatrix {
  const out = {} as Record<SitePair, number>;
  for (const a of SITE_IDS) {
    for (const b of SITE_IDS) {
      const key = pairKey(a, b);
      out[key] = a === b ? 0 : (override[key] ?? modelRttMs(cityNamed(SITES[a].city), cityNamed(SITES[b].city)));
    }
  }
  return Object.freeze(out);
}

export function rttBetween(matrix: RttMatrix, a: SiteId, b: SiteId): number {
  return matrix[pairKey(a, b)];
}
