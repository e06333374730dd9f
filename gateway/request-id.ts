/**
 * Every request gets an id: the caller's `x-request-id` when it sent a sane one, else a new one.
 * The id goes back in the response header and on to every subgraph, so one id finds a request
 * in every service's log.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { REQUEST_ID_HEADER } from './context.ts';

const SANE_ID = /^[\w.:\-]{1,128}$/;

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const sent = req.header(REQUEST_ID_HEADER);
    const id = sent && SANE_ID.test(sent) ? sent : randomUUID();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

export function requestIdOf(res: Response): string {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : randomUUID();
}
