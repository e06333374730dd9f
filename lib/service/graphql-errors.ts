/**
 * Turns expected failures into GraphQL errors with a stable `extensions.code`, and hides the
 * details of unexpected ones outside development.
 */
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { TerangaError } from '../errors.ts';

export function toGraphQLError(error: TerangaError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, ...error.details } });
}

const isDevelopment = () => process.env.NODE_ENV !== 'production';

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (original instanceof TerangaError) {
    // an unknown city is bad input like any other; the precise reason stays available
    const code = original.code === 'UNKNOWN_CITY' ? 'BAD_USER_INPUT' : original.code;
    return { ...formatted, extensions: { ...formatted.extensions, ...original.details, code, reason: original.code } };
  }
  if (!isDevelopment() && formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _hidden, ...extensions } = formatted.extensions;
    return { ...formatted, message: 'Internal server error', extensions };
  }
  return formatted;
}
