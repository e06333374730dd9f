/**
 * Who is calling a subgraph, established from what the request can prove: the internal secret
 * (another Teranga service), else a bearer token the subgraph verifies itself, else nobody. A
 * token that does not verify is refused with 401 rather than ignored, and no other header (a user
 * id, a role) is trusted: a request sent straight to the subgraph's port gets no more rights than
 * its credentials give.
 */
import type { RequestHandler, Response } from 'express';
import { ANONYMOUS, INTERNAL, type Principal } from '../auth/principal.ts';
import { bearerToken, type TokenVerifier } from '../auth/token-verifier.ts';
import { TerangaError } from '../errors.ts';
import { sendGraphQLError } from './graphql-errors.ts';
import { isInternalCaller } from './internal-auth.ts';

export interface CallerAuthentication {
  /** Verifies bearer tokens; without it any bearer token is refused (it cannot be checked). */
  readonly tokenVerifier?: TokenVerifier;
  /** The internal secret; without it no caller counts as internal. */
  readonly internalSecret?: string;
}

export const WWW_AUTHENTICATE = 'Bearer realm="teranga"';

/** Resolves the caller's credentials; a bearer token that does not verify is refused. */
export async function authenticate(
  authorization: string | undefined,
  verifier: TokenVerifier | undefined,
): Promise<Principal> {
  const token = bearerToken(authorization);
  if (token === null) return ANONYMOUS;
  if (token === undefined) throw new TerangaError('UNAUTHENTICATED', 'The Authorization header must be `Bearer <token>`');
  if (!verifier) throw new TerangaError('UNAUTHENTICATED', 'This service accepts no bearer tokens');
  return verifier.verify(token);
}

export function identifyCaller(auth: CallerAuthentication): RequestHandler {
  return async (req, res, next) => {
    if (auth.internalSecret !== undefined && isInternalCaller(req.headers, auth.internalSecret)) {
      res.locals.principal = INTERNAL;
      next();
      return;
    }
    try {
      res.locals.principal = await authenticate(req.header('authorization'), auth.tokenVerifier);
    } catch (error) {
      if (!(error instanceof TerangaError)) throw error;
      res.setHeader('www-authenticate', WWW_AUTHENTICATE);
      sendGraphQLError(res, error.code, error.message);
      return;
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? ANONYMOUS;
}
