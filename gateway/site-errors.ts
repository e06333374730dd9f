/**
 * Errors the gateway itself reports about sites, as GraphQL errors a subgraph could have sent,
 * so the gateway's path remapping treats them like any other subgraph error.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { ErrorCode } from '../lib/errors.ts';
import { SITES, type SiteId } from '../lib/sites.ts';

export type ResponsePath = readonly (string | number)[];

/** Why a request to one site produced no GraphQL response. */
export interface SiteFailure {
  readonly code: ErrorCode | string;
  readonly message: string;
}

export function siteUnavailable(site: SiteId, reason: string): SiteFailure {
  return { code: 'SITE_UNAVAILABLE', message: `Site ${SITES[site].code} cannot be reached: ${reason}` };
}

/** The error a field or an entity gets when its site failed as a whole. */
export function siteFailureError(site: SiteId, failure: SiteFailure, path: ResponsePath): GraphQLFormattedError {
  return { message: failure.message, path, extensions: { code: failure.code, site: SITES[site].code } };
}

export function badUserInput(message: string, path: ResponsePath): GraphQLFormattedError {
  return { message, path, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } };
}

/** Tags an error a site returned with the site it came from, and gives it a new path. */
export function fromSite(error: GraphQLFormattedError, site: SiteId, path?: ResponsePath): GraphQLFormattedError {
  const extensions = { ...error.extensions, site: SITES[site].code };
  const result: GraphQLFormattedError = { ...error, extensions };
  if (path !== undefined) return { ...result, path };
  return result;
}
