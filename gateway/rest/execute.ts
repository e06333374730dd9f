/**
 * Runs a GraphQL operation through the gateway's own pipeline (parsing, validation, query plan,
 * site routing), in-process: the REST API never talks to a database or a subgraph directly.
 */
import type { ApolloServer } from '@apollo/server';
import type { Request, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { ANONYMOUS, type Principal } from '../../lib/auth/principal.ts';
import { requestIdOf } from '../../lib/service/request-context.ts';
import { gatewayContext, type GatewayContext } from '../context.ts';
import { fromGraphQLErrors } from './errors.ts';

export interface ExecutionResult<TData> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[];
}

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
