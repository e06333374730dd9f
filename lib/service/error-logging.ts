/**
 * Logs the errors of GraphQL requests: unexpected ones (no stable code) at error level with their
 * stack, since the caller only sees "Internal server error"; expected ones (a refused order, a
 * forbidden field, a malformed query) at debug level, as they are answers, not failures.
 */
import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { ERROR_CODES, TerangaError } from '../errors.ts';
import type { Logger } from './logger.ts';

function codeOf(error: GraphQLError): string | undefined {
  if (error.originalError instanceof TerangaError) return error.originalError.code;
  return typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
}

export function errorLoggingPlugin<TContext extends BaseContext>(logger: Logger): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const code = codeOf(error);
            const expected = code !== undefined && code !== 'INTERNAL_SERVER_ERROR' && (code in ERROR_CODES || code.startsWith('GRAPHQL_'));
            const fields = { code: code ?? 'INTERNAL_SERVER_ERROR', path: error.path?.join('.'), operationName: operationName ?? undefined };
            if (expected) logger.debug(fields, error.message);
            else logger.error({ ...fields, err: error.originalError ?? error }, error.message);
          }
        },
      };
    },
  };
}

/** Apollo Server's own messages, through the same structured log. */
export function apolloLogger(logger: Logger): NonNullable<ApolloServerOptions<BaseContext>['logger']> {
  return {
    debug: (message: unknown) => logger.debug(String(message)),
    info: (message: unknown) => logger.info(String(message)),
    warn: (message: unknown) => logger.warn(String(message)),
    error: (message: unknown) => logger.error(String(message)),
  };
}
