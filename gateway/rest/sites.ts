/**
 * `GET /api/sites/for-city/:city`: the site that serves a city, as the regions subgraph answers it.
 */
import type { RequestHandler } from 'express';
import type { SiteCode } from '../../lib/sites.ts';
import { dataOrThrow, type Execute } from './execute.ts';

export const SITE_FOR_CITY_QUERY = 'query RestSiteForCity($city: String!) { siteForCity(city: $city) }';

export function siteForCity(execute: Execute): RequestHandler {
  return async (req, res) => {
    const city = String(req.params.city);
    const data = dataOrThrow(await execute<{ siteForCity: SiteCode }>(req, res, SITE_FOR_CITY_QUERY, { city }));
    res.json({ city, site: data.siteForCity });
  };
}
