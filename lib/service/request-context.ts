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
  /** What the request cost, for its log line (see `requestCosts`); filled as it runs. */
  readonly costs?: RequestCosts;
}

/**
 * What one request did, logged with it: the SQL round trips its statements took, the commits
 * among them (each waits for the synchronous standby), and the time of named steps (the
 * coordinator's calls to the sites and the provider). The benchmark's breakdown reads them.
 */
export interface RequestCosts {
  sql: number;
  commits: number;
  steps: [string, number][];
  /** An explicit transaction is open (BEGIN seen, not yet ended): its writes commit at its end. */
  inTransaction: boolean;
}

const BEGIN = /^\s*(begin|start transaction)\b/i;
/** A statement that ends a transaction durably, alone or as the last of a grouped message. */
const ENDS_DURABLY = /(^|;)\s*(commit|prepare transaction|commit prepared)\b[^;]*;?\s*$/i;
const ROLLBACK = /(^|;)\s*rollback\b[^;]*;?\s*$/i;
const WRITE = /^\s*(insert|update|delete|with\b[\s\S]*\b(insert|update|delete)\b)/i;

/** Counts one SQL round trip of the current request (a kysely `log` hook calls it). */
export function countStatement(text: string): void {
  const costs = storage.getStore()?.costs;
  if (!costs) return;
  costs.sql++;
  if (BEGIN.test(text)) costs.inTransaction = true;
  if (ENDS_DURABLY.test(text)) {
    costs.commits++;
    costs.inTransaction = false;
  } else if (ROLLBACK.test(text)) {
    costs.inTransaction = false;
  } else if (!costs.inTransaction && WRITE.test(text)) {
    // an autocommit write
    costs.commits++;
  }
}

/** Records how long a named step of the current request took. */
export function recordStep(name: string, ms: number): void {
  storage.getStore()?.costs?.steps.push([name, Math.round(ms * 100) / 100]);
}

/** The costs of the request behind `res`, for its log line (undefined outside a request scope). */
export function requestCosts(res: Response): RequestCosts | undefined {
  return res.locals.requestScope?.costs as RequestCosts | undefined;
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
    const scope: RequestScope = { requestId: requestIdOf(res), costs: { sql: 0, commits: 0, steps: [], inTransaction: false } };
    res.locals.requestScope = scope;
    runInRequest(scope, next);
  };
}
