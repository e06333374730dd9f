/**
 * The log files of the test cluster's services (the launcher sends each service's output to
 * `<data dir>/logs/<service>.log`), for tests that follow a request id or look for leaks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceUrl, topology } from './cluster.ts';
import { until } from './until.ts';

export interface LogLine {
  readonly service?: string;
  readonly requestId?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

const logDir = () => path.join(topology.dataDir, 'logs');

/** The raw text of every Node service's log (PostgreSQL's logs are not ours). */
export function serviceLogTexts(): Map<string, string> {
  const services = new Set(topology.services.map((s) => s.name));
  const texts = new Map<string, string>();
  if (!existsSync(logDir())) return texts;
  for (const file of readdirSync(logDir())) {
    const name = file.replace(/\.log$/, '');
    if (services.has(name as (typeof topology.services)[number]['name'])) texts.set(name, readFileSync(path.join(logDir(), file), 'utf8'));
  }
  return texts;
}

/** Structured lines of one service's log; lines that are not JSON are skipped. */
export function serviceLogLines(service: string): LogLine[] {
  const text = serviceLogTexts().get(service) ?? '';
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** The services whose logs mention this request id. */
export function servicesThatSaw(requestId: string): string[] {
  return [...serviceLogTexts()].filter(([, text]) => text.includes(`"requestId":"${requestId}"`)).map(([name]) => name).sort();
}

/** Waits until each of `services` has logged a line with this request id (a service writes its line as it answers). */
export async function untilServicesSaw(requestId: string, services: readonly string[]): Promise<string[]> {
  await until(`${services.join(', ')} to log request ${requestId}`, () => {
    const saw = servicesThatSaw(requestId);
    return services.every((s) => saw.includes(s));
  }, { withinMs: 15_000, everyMs: 50 });
  return servicesThatSaw(requestId);
}

/** The services a test may assert did not see a request: each is sent the fence of logsCaughtUp. */
const FENCED = ['gateway', 'products-subgraph', 'region-dakar', 'region-saint-louis', 'region-thies'] as const;
let fences = 0;

/**
 * Waits until the gateway, the products subgraph and every region have written the lines of the
 * requests made before, so that a test may assert that a service did not see a request: a fence
 * request is sent to each of them after those requests, and each service writes its lines in the
 * order it answers, so once every one of them has logged the fence, the earlier lines are there too.
 * Sent to each service directly: no single query through the gateway reaches every region (the
 * catalogue's stock is read at one site).
 */
export async function logsCaughtUp(): Promise<void> {
  const requestId = `fence-${process.pid}-${++fences}-${Date.now()}`;
  await Promise.all(
    FENCED.map(async (name) => {
      const response = await fetch(serviceUrl(name), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      if (!response.ok) throw new Error(`the fence request to ${name} answered ${response.status}`);
    }),
  );
  await untilServicesSaw(requestId, FENCED);
}
