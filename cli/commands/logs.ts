import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { serverLogFile } from '../../cluster/cluster.ts';
import { topologyFromEnv, type Topology } from '../../lib/topology.ts';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_APART = new Set(['time', 'level', 'service', 'msg', 'pid', 'hostname']);

/** Every log the launcher writes: the Node services, the supervisor, the PostgreSQL servers. */
function logNames(topology: Topology): { node: string[]; all: string[] } {
  const node = [...topology.services.map((s) => s.name as string), 'supervisor'];
  return { node, all: [...node, ...topology.postgres.map((s) => s.name)] };
}

interface Line {
  readonly source: string;
  readonly text: string;
  /** For ordering lines of several logs; PostgreSQL lines start with their own time stamp. */
  readonly time: string;
}

function parse(source: string, text: string): Line {
  if (text.startsWith('{')) {
    try {
      const fields = JSON.parse(text) as { time?: string };
      return { source, text, time: fields.time ?? '' };
    } catch {
      // not one of ours
    }
  }
  return { source, text, time: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/.exec(text)?.[0].replace(' ', 'T') ?? '' };
}

/** One line for a person: time, source, level, message, then the remaining fields. */
export function formatLine(line: Line): string {
  if (!line.text.startsWith('{')) return `${line.source.padEnd(20)} ${line.text}`;
  try {
    const fields = JSON.parse(line.text) as Record<string, unknown>;
    const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => !SHOWN_APART.has(k)));
    const level = LEVELS[Number(fields.level)] ?? String(fields.level ?? '').toUpperCase();
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${String(fields.time ?? '').replace('T', ' ').replace('Z', '')} ${line.source.padEnd(20)} ${level.padEnd(5)} ${String(fields.msg ?? '')}${extra}`;
  } catch {
    return `${line.source.padEnd(20)} ${line.text}`;
  }
}

/** Reads a file from `offset`, returning its complete lines and the offset after the last one. */
function readLines(file: string, offset: number): { lines: string[]; offset: number } {
  if (!existsSync(file)) return { lines: [], offset: 0 };
  const size = statSync(file).size;
  // truncated or replaced (a reset cluster): read it again from the start
  const from = size < offset ? 0 : offset;
  if (size === from) return { lines: [], offset: from };
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    readSync(fd, buffer, 0, buffer.length, from);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { lines: [], offset: from };
    return { lines: text.slice(0, end).split('\n').filter((l) => l !== ''), offset: from + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    closeSync(fd);
  }
}

function parseLines(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new InvalidArgumentError('a whole number of lines');
  return n;
}

function parseRequestId(raw: string): string {
  if (raw === '' || raw.length > 200 || /["\\\s]/.test(raw)) throw new InvalidArgumentError('a request id (no spaces or quotes, at most 200 characters)');
  return raw;
}

/**
 * `teranga logs [service] [--follow] [--request-id ID]`: the local cluster's logs, every Node
 * service's merged by time when no service is named; `--request-id` keeps the lines of one
 * request, whichever services it crossed.
 */
export function registerLogs(program: Command): void {
  program
    .command('logs')
    .argument('[service]', 'a service (gateway, orders, region-dakar…), supervisor, or a PostgreSQL server (dakar, dakar-standby…); default: every service')
    .description('print the local cluster\'s logs, merged by time; --follow keeps printing new lines')
    .option('-f, --follow', 'keep printing lines as they are written (until Ctrl-C)')
    .option('--request-id <id>', 'only the lines of this request (the x-request-id the gateway answered with)', parseRequestId)
    .option('-n, --lines <n>', 'how many of the latest lines to print first (default 100; every matching line with --request-id)', parseLines)
    .option('--json', 'print the lines as written (JSON), without formatting')
    .action(async (name: string | undefined, opts: { follow?: boolean; requestId?: string; lines?: number; json?: boolean }) => {
      const topology = topologyFromEnv();
      const names = logNames(topology);
      if (name !== undefined && !names.all.includes(name)) throw new Error(`No log named "${name}"; logs: ${names.all.join(', ')}`);
      const sources = name === undefined ? names.node : [name];
      const matches = (text: string) => opts.requestId === undefined || text.includes(`"requestId":"${opts.requestId}"`);
      const print = (line: Line) => console.log(opts.json ? line.text : formatLine(line));

      // listening first: a Ctrl-C right after the first lines must find the handler
      let interrupted: () => void = () => {};
      const stopped = new Promise<void>((resolve) => (interrupted = resolve));
      if (opts.follow) {
        process.once('SIGINT', () => interrupted());
        process.once('SIGTERM', () => interrupted());
      }
      const offsets = new Map<string, number>();
      const first: Line[] = [];
      for (const source of sources) {
        const { lines, offset } = readLines(serverLogFile(topology, source), 0);
        offsets.set(source, offset);
        first.push(...lines.filter(matches).map((text) => parse(source, text)));
      }
      if (sources.length > 1) first.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      const limit = opts.lines ?? (opts.requestId ? Infinity : 100);
      for (const line of first.slice(Math.max(0, first.length - limit))) print(line);
      if (!opts.follow) return;

      const timer = setInterval(() => {
        for (const source of sources) {
          const { lines, offset } = readLines(serverLogFile(topology, source), offsets.get(source) ?? 0);
          offsets.set(source, offset);
          for (const text of lines) if (matches(text)) print(parse(source, text));
        }
      }, 250);
      await stopped;
      clearInterval(timer);
    });
}
