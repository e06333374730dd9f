/**
 * Prometheus metrics (prom-client). One registry per process holds the process metrics and the
 * request latencies of every server in it; a server may add a registry of its own (gauges read
 * from its database at scrape time) that its /metrics merges in.
 *
 * Label values never come from the caller (no operation names, no ids, no raw paths): the route
 * label is the route's pattern, so the number of series stays bounded.
 */
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * One read shared by every gauge collected in the same scrape: the first collect starts it, the
 * others of that scrape await it, and the next scrape reads again.
 */
export function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= read().finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
}

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const httpRequestDuration = new Histogram({
  name: 'teranga_http_request_duration_seconds',
  help: 'HTTP request latency, by service, method, route pattern and status',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  registers: [processRegistry],
});

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** The route a request matched, as a pattern (`/api/products/:id`), or `unmatched`. */
export function routeLabel(req: Request): string {
  const pattern = typeof req.route?.path === 'string' ? req.route.path : '';
  const route = `${req.baseUrl}${pattern}`;
  return route === '' ? 'unmatched' : route;
}

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

/** `GET /metrics`: the process registry, merged with the server's own when it has one. */
export function metricsEndpoint(own?: Registry): RequestHandler {
  return async (_req, res) => {
    // merged per scrape: metrics registered after start (a module loaded late) are included too
    const registry = own ? Registry.merge([processRegistry, own]) : processRegistry;
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  };
}
