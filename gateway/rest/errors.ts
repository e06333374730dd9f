/**
 * REST errors: `{ "error": { "code", "message" } }` with the HTTP status the error registry gives
 * the code (lib/errors.ts), the same codes the GraphQL API puts in `extensions.code`.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { httpStatusOf, TerangaError, type ErrorCode } from '../../lib/errors.ts';
import type { Logger } from '../../lib/service/logger.ts';

export interface RestErrorBody {
  /** Besides code and message, what the code documents (an unknown city's `suggestions`…). */
  readonly error: { readonly code: string; readonly message: string; readonly [detail: string]: unknown };
}

export class RestError extends Error {
  constructor(
    readonly code: ErrorCode | string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/** Details a GraphQL error's extensions carry that are not for callers (traces, routing tags). */
const INTERNAL_EXTENSIONS = new Set(['code', 'message', 'stacktrace', 'exception', 'serviceName']);

export function sendError(res: Response, code: string, message: string, details: Readonly<Record<string, unknown>> = {}): void {
  const extra = Object.fromEntries(Object.entries(details).filter(([key]) => !INTERNAL_EXTENSIONS.has(key)));
  const body: RestErrorBody = { error: { code, message, ...extra } };
  res.status(httpStatusOf(code)).json(body);
}

/**
 * The error a REST answer reports for a GraphQL result's errors. An unreachable site outranks
 * the rest: retrying later is what the caller can do about it.
 */
export function fromGraphQLErrors(errors: readonly GraphQLFormattedError[]): RestError {
  const code = (e: GraphQLFormattedError) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR');
  const chosen = errors.find((e) => code(e) === 'SITE_UNAVAILABLE') ?? errors[0];
  if (!chosen) return new RestError('INTERNAL_SERVER_ERROR', 'The request failed without an error');
  return new RestError(code(chosen), chosen.message, chosen.extensions ?? {});
}

export function restErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof RestError || error instanceof TerangaError) {
      sendError(res, error.code, error.message, error.details);
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // express's own failures, such as a malformed query string
      sendError(res, 'BAD_USER_INPUT', (error as Error).message);
      return;
    }
    logger.error({ err: error }, 'REST request failed');
    sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
