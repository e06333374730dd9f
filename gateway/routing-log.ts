/**
 * Which subgraph processes a request reached: with the header `x-teranga-debug-routing: 1` the
 * response carries `extensions.routing`, e.g. `[{ "subgraph": "regions", "site": "thies" }]`.
 * Kept in every request's context: the REST API reports the sites in a response header and the
 * console lists the latest requests.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { SiteId } from '../lib/sites.ts';
import type { GatewayContext } from './context.ts';

export interface RoutedFetch {
  readonly subgraph: string;
  /** The site process asked, for the `regions` subgraph; null for the others. */
  readonly site: SiteId | null;
}

export function recordFetch(context: GatewayContext, fetch: RoutedFetch): void {
  context.fetches.push(fetch);
}

export function routedFetches(context: GatewayContext): readonly RoutedFetch[] {
  return context.fetches;
}

/** The sites a request's fetches reached, in the order first reached. */
export function sitesReached(fetches: readonly RoutedFetch[]): SiteId[] {
  return [...new Set(fetches.flatMap((f) => (f.site ? [f.site] : [])))];
}

export function routingLogPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (!contextValue.debugRouting || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, routing: routedFetches(contextValue) };
        },
      };
    },
  };
}
