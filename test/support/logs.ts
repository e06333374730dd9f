/**
 * The log files of the test cluster's services (the launcher sends each service's output to
 * `<data dir>/logs/<service>.log`), for tests that follow a request id or look for leaks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { topology } from './cluster.ts';

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

/** Logs are written synchronously, but a service may still be finishing its line: wait a little. */
export async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
