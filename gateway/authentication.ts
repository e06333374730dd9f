/**
 * Verifies the caller's bearer token once per request, before any GraphQL or REST work, and
 * keeps the principal for the request (`res.locals.principal`). No token: an anonymous caller,
 * who may still read the catalogue. A token that does not verify (expired, tampered with, signed
 * by another key, malformed header): 401 UNAUTHENTICATED at once, never a silent downgrade to
 * anonymous.
 *
 * The gateway only establishes identity. What each identity may read or change is decided by the
 * subgraph that holds the data (lib/auth/access.ts), which verifies the same token again: the
 * gateway forwards it untouched.
 */
import type { RequestHandler } from 'express';
import type { TokenVerifier } from '../lib/auth/token-verifier.ts';
import { TerangaError } from '../lib/errors.ts';
import { authenticate, WWW_AUTHENTICATE } from '../lib/service/caller.ts';
import { sendGraphQLError } from '../lib/service/graphql-errors.ts';
import { sendError } from './rest/errors.ts';

/** How a refusal is written: a GraphQL response, or the REST API's error body. */
export type ErrorShape = 'graphql' | 'rest';

export function authenticateCaller(verifier: TokenVerifier, shape: ErrorShape): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals.principal = await authenticate(req.header('authorization'), verifier);
    } catch (error) {
      if (!(error instanceof TerangaError)) throw error;
      res.setHeader('www-authenticate', WWW_AUTHENTICATE);
      if (shape === 'graphql') sendGraphQLError(res, error.code, error.message);
      else sendError(res, error.code, error.message);
      return;
    }
    next();
  };
}
