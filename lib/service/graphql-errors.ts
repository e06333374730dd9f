/**
 * Turns expected failures into GraphQL errors with a stable `extensions.code`, and hides the
 * details of unexpected ones outside development.
 */
import type { Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { httpStatusOf, TerangaError } from '../errors.ts';

export function toGraphQLError(error: TerangaError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, ...error.details } });
}

/** Development unless NODE_ENV is `production`: introspection, the Sandbox and internal messages. */
export const isDevelopment = () => process.env.NODE_ENV !== 'production';

/** `TERANGA_DEBUG=1`: stack traces in error answers (never otherwise, development included). */
export const isDebug = () => process.env.TERANGA_DEBUG === '1';

/** An answer that never reached GraphQL execution, shaped like one that did. */
export function sendGraphQLError(res: Response, code: string, message: string, status = httpStatusOf(code)): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export function errorFormatter(options: { development: boolean; debug?: boolean }): ErrorFormatter {
  return (formatted, error) => {
    if (!options.debug && formatted.extensions) {
      // errors relayed from a subgraph carry that subgraph's extensions: strip traces from those too
      const { stacktrace: _trace, exception: _exception, ...rest } = formatted.extensions;
      formatted = { ...formatted, extensions: rest };
    }
    const original = (error as { originalError?: unknown })?.originalError;
    if (original instanceof TerangaError) {
      return { ...formatted, extensions: { ...formatted.extensions, ...original.details, code: original.code } };
    }
    if (options.development || !formatted.extensions) return formatted;
    const extensions = formatted.extensions;
    if (extensions.code === 'INTERNAL_SERVER_ERROR' || extensions.code === undefined) {
      return { ...formatted, message: 'Internal server error', extensions: { ...extensions, code: 'INTERNAL_SERVER_ERROR' } };
    }
    return { ...formatted, extensions };
  };
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  return errorFormatter({ development: isDevelopment(), debug: isDebug() })(formatted, error);
}
