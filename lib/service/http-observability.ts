/**
 * One log line and one latency sample per HTTP request, with its request id, route pattern, status
 * and duration, and the caller's role once known. Health checks and scrapes log at debug level:
 * they come every few seconds and say nothing.
 */
import type { RequestHandler } from 'express';
import { describePrincipal, type Principal } from '../auth/principal.ts';
import type { Logger } from './logger.ts';
import { httpRequestDuration, methodLabel, routeLabel } from './metrics.ts';
import { requestCosts, requestIdOf } from './request-context.ts';

const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** The request's SQL round trips, commits and timed steps, when it made any. */
function costFields(res: Parameters<typeof requestCosts>[0]): Record<string, unknown> {
  const costs = requestCosts(res);
  if (!costs) return {};
  return {
    ...(costs.sql > 0 ? { sql: costs.sql, commits: costs.commits } : {}),
    ...(costs.steps.length > 0 ? { steps: costs.steps } : {}),
  };
}

export function observeRequests(service: string, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req);
      httpRequestDuration.observe({ service, method: methodLabel(req.method), route, status: String(res.statusCode) }, seconds);
      const principal = res.locals.principal as Principal | undefined;
      const fields = {
        requestId: requestIdOf(res),
        method: req.method,
        // the path only: a query string may carry anything
        path: req.originalUrl.split('?', 1)[0],
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
        ...(principal ? { caller: describePrincipal(principal) } : {}),
        ...costFields(res),
      };
      if (QUIET_ROUTES.has(route)) logger.debug(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}
