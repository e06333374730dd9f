/**
 * HTTP-level guards in front of a GraphQL endpoint, so malformed requests get a JSON answer with a
 * stable code instead of a framework's HTML page or a 500: a POST must be JSON (415 otherwise),
 * its body has a size limit (413) and must parse (400).
 */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { sendGraphQLError } from './graphql-errors.ts';
import type { Logger } from './logger.ts';

export function requireJsonPost(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      sendGraphQLError(res, 'UNSUPPORTED_MEDIA_TYPE', `A GraphQL POST must have content-type application/json, not "${type.slice(0, 100) || 'none'}"`);
      return;
    }
    next();
  };
}

export function jsonBody(limit: string): RequestHandler {
  return express.json({ limit, strict: true });
}

interface BodyParserError {
  readonly type?: unknown;
  readonly status?: unknown;
}

/** Answers the body parser's failures; anything else goes on to the next error handler. */
export function bodyErrors(limit: string): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const { type, status } = (error ?? {}) as BodyParserError;
    if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500) {
      next(error);
      return;
    }
    if (type === 'entity.too.large') sendGraphQLError(res, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limit}`);
    else if (type === 'charset.unsupported' || type === 'encoding.unsupported') sendGraphQLError(res, 'UNSUPPORTED_MEDIA_TYPE', (error as Error).message);
    else if (type === 'entity.parse.failed') sendGraphQLError(res, 'BAD_REQUEST', 'The request body is not valid JSON');
    else sendGraphQLError(res, 'BAD_REQUEST', (error as Error).message);
  };
}

/**
 * The last error handler: an unexpected failure is logged with its stack and answered with a
 * plain 500, never express's default page (which prints the stack outside production).
 */
export function lastResortErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    logger.error({ err: error, path: req.originalUrl.split('?', 1)[0] }, 'request failed');
    sendGraphQLError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
