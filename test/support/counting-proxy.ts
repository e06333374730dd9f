/**
 * A real HTTP server in front of another (or answering itself), counting the requests it serves
 * and the TCP connections they came on: what a test needs to assert that a cache made no fetch,
 * or that a client kept one connection alive across requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingServer {
  readonly url: string;
  /** Requests served so far, by path. */
  readonly requests: string[];
  /** TCP connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

export type Answer = (request: { path: string; body: string }) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

/** Forwards every request to `target` (an origin, e.g. http://127.0.0.1:4001) and counts it. */
export function forwardingTo(target: string): Answer {
  return async ({ path, body }) => {
    const response = await fetch(new URL(path, target), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: response.status, body: await response.json() };
  };
}

export async function startCountingServer(answer: Answer): Promise<CountingServer> {
  const requests: string[] = [];
  let connections = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.push(req.url ?? '/');
    const { status, body } = await answer({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
