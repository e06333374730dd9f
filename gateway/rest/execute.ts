/**
 * Runs a GraphQL operation through the gateway's own pipeline (parsing, validation, query plan,
 * site routing), in-process: the REST API never talks to a database or a subgraph directly.
 */
import type { ApolloServer } from '@apollo/server';
import type { Request, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { ANONYMOUS, type Principal } from '../../lib/auth/principal.ts';
import { requestIdOf } from '../../lib/service/request-context.ts';
import { SITES } from '../../lib/sites.ts';
import { gatewayContext, type GatewayContext } from '../context.ts';
import { routedFetches, sitesReached } from '../routing-log.ts';
import { fromGraphQLErrors } from './errors.ts';

export interface ExecutionResult<TData> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[];
}

/** The sites whose processes served a REST answer, as site codes (`DAKAR,THIES`). */
export const SITES_HEADER = 'x-teranga-sites';

export type Execute = <TData>(
  req: Request,
  res: Response,
  query: string,
  variables: Record<string, unknown>,
) => Promise<ExecutionResult<TData>>;

export function executor(apollo: ApolloServer<GatewayContext>): Execute {
  return async <TData>(req: Request, res: Response, query: string, variables: Record<string, unknown>) => {
    // the principal the authentication middleware verified (the REST API is mounted behind it)
    const principal = (res.locals.principal as Principal | undefined) ?? ANONYMOUS;
    const contextValue = gatewayContext(req.headers, requestIdOf(res), principal);
    const response = await apollo.executeOperation<TData>({ query, variables }, { contextValue });
    res.set(SITES_HEADER, sitesReached(routedFetches(contextValue)).map((site) => SITES[site].code).join(','));
    if (response.body.kind !== 'single') throw new Error('Expected a single GraphQL result');
    const { data, errors } = response.body.singleResult;
    return { data, errors: errors ?? [] };
  };
}

/** The data of a result that must have no error, else the error the REST answer reports. */
export function dataOrThrow<TData>(result: ExecutionResult<TData>): TData {
  if (result.errors.length > 0 || result.data == null) throw fromGraphQLErrors(result.errors);
  return result.data;
}

/**
 * The data of a result whose only errors are unreachable sites under `field` (a warehouse's
 * stock), with those sites' codes; any other error is the REST answer's error, as dataOrThrow.
 * This is how GraphQL answers with a site down: what the other sites hold, the rest null.
 */
export function dataDespiteSites<TData>(result: ExecutionResult<TData>, field: string): { data: TData; unavailable: Map<string, Set<string>> } {
  const partial = (e: GraphQLFormattedError) => e.extensions?.code === 'SITE_UNAVAILABLE' && e.path?.[0] === field && e.path.length > 1;
  if (result.data == null || !result.errors.every(partial)) throw fromGraphQLErrors(result.errors);
  // keyed by the item's index in a list field ('' for a single object)
  const unavailable = new Map<string, Set<string>>();
  for (const error of result.errors) {
    const key = typeof error.path![1] === 'number' ? String(error.path![1]) : '';
    const site = String(error.extensions?.site ?? '');
    if (site === '') continue;
    unavailable.set(key, new Set([...(unavailable.get(key) ?? []), site]));
  }
  return { data: result.data, unavailable };
}
