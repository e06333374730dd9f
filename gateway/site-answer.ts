/**
 * What one site answered to one request of the site router: a GraphQL response, or a failure
 * (the site could not be reached) that the router turns into errors on the affected fields only.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { SiteId } from '../lib/sites.ts';
import type { SiteFailure } from './site-errors.ts';

export type ResponseData = Readonly<Record<string, unknown>>;

export type SiteAnswer =
  | {
      readonly kind: 'response';
      readonly site: SiteId;
      readonly data: ResponseData | null | undefined;
      readonly errors: readonly GraphQLFormattedError[];
    }
  | { readonly kind: 'failure'; readonly site: SiteId; readonly failure: SiteFailure };

export interface MergedResponse {
  readonly data: Record<string, unknown>;
  readonly errors: GraphQLFormattedError[];
}

/** A value a site actually has: GraphQL answers "not here" with null (or leaves the key out). */
export function isPresent(value: unknown): boolean {
  return value !== null && value !== undefined;
}
