/**
 * Which subgraph processes a request reached: with the header `x-teranga-debug-routing: 1` the
 * response carries `extensions.routing`, e.g. `[{ "subgraph": "regions", "site": "thies" }]`.
 * Kept per request, keyed by its context, for every request: the REST API reports the sites in a
 * response header and the console lists the latest requests (an observer sees each one).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { SiteId } from '../lib/sites.ts';
import type { GatewayContext } from './context.ts';

export interface RoutedFetch {
  readonly subgraph: string;
  /** The site process asked, for the `regions` subgraph; null for the others. */
  readonly site: SiteId | null;
}

const logs = new WeakMap<GatewayContext, RoutedFetch[]>();

export function recordFetch(context: GatewayContext, fetch: RoutedFetch): void {
  const log = logs.get(context);
  if (log) log.push(fetch);
  else logs.set(context, [fetch]);
}

export function routedFetches(context: GatewayContext): readonly RoutedFetch[] {
  return logs.get(context) ?? [];
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
