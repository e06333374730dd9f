/**
 * The request a piece of code runs for, carried through every await (AsyncLocalStorage), so that
 * log lines and the coordinator's calls to other services carry the request id without threading
 * it through every function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

export interface RequestScope {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

const SANE_ID = /^[\w.:\-]{1,128}$/;

/** The caller's id when it is sane (it ends up in logs and headers), else a new one. */
export function acceptRequestId(sent: string | undefined): string {
  return sent && SANE_ID.test(sent) ? sent : randomUUID();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Gives the request its id (`res.locals.requestId`) and echoes it in the response. */
export function assignRequestId(): RequestHandler {
  return (req, res, next) => {
    const id = acceptRequestId(req.header(REQUEST_ID_HEADER));
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

export function requestIdOf(res: Response): string {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : randomUUID();
}

/**
 * Runs the rest of the request inside its scope. Mount it after the body parser: a body parser's
 * stream callbacks run outside any scope entered before them.
 */
export function enterRequestScope(): RequestHandler {
  return (_req, res, next) => {
    runInRequest({ requestId: requestIdOf(res) }, next);
  };
}
