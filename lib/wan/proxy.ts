/**
 * A userspace TCP delay proxy: one listener per WAN link (lib/topology.ts `ProxiedLink`). This kernel
 * has no netem, so the latency is added here, on loopback:
 *
 * - Each chunk read from one side is written to the other side half the link's RTT later, in
 *   arrival order per direction (one queue per direction, released by a single timer), without
 *   pacing: throughput is not throttled, only delayed.
 * - The TCP handshake costs one RTT before the first byte reaches the target (the connection to
 *   the target is opened at once, but the first chunk is released no earlier than one RTT after
 *   the client connected, like a SYN / SYN-ACK exchange).
 * - End of stream (half-close) travels with the same delay; an error on either side closes both.
 *
 * Counters per link: connections, bytes each way, and round trips. A round trip is a burst of
 * bytes from the client followed by a burst from the server: it is counted when the server sends
 * its first chunk after the client has sent (the connection's direction turns from request to
 * response). A request–response protocol (HTTP/1.1, a PostgreSQL query, a 2PC message) counts one
 * round trip per exchange whatever the chunking; a server-push stream (replication) counts turns.
 * Counting happens on receipt, before the delay, so it only depends on the byte sequence.
 */
import net from 'node:net';
import type { ProxiedLink, WanKind } from '../topology.ts';

export interface LinkCounters {
  connections: number;
  bytesUp: number;
  bytesDown: number;
  roundTrips: number;
}

export const emptyCounters = (): LinkCounters => ({ connections: 0, bytesUp: 0, bytesDown: 0, roundTrips: 0 });

type Item = { readonly at: number; readonly chunk: Buffer | null };

/** Writes chunks to `out` at their release time, in order; `null` ends the stream. */
class DelayedPipe {
  readonly #queue: Item[] = [];
  #timer: NodeJS.Timeout | null = null;
  #notBefore = 0;
  constructor(private readonly out: net.Socket, private readonly delayMs: number) {}

  /** Nothing is released before `time` (the simulated handshake). */
  holdUntil(time: number): void {
    this.#notBefore = time;
  }

  push(chunk: Buffer | null): void {
    const last = this.#queue.at(-1)?.at ?? 0;
    this.#queue.push({ at: Math.max(performance.now() + this.delayMs, this.#notBefore, last), chunk });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0]!.at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = performance.now();
      // a timer may fire a fraction of a millisecond early: release what is due within 0.5 ms
      while (this.#queue.length > 0 && this.#queue[0]!.at <= now + 0.5) {
        const { chunk } = this.#queue.shift()!;
        if (this.out.destroyed) continue;
        if (chunk === null) this.out.end();
        else this.out.write(chunk);
      }
      this.#schedule();
    }, wait);
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
  }
}

export interface RunningLink {
  readonly link: ProxiedLink;
  /** The port it listens on: the link's, or the one the system chose for a link of port 0. */
  readonly port: number;
  readonly counters: LinkCounters;
  reset(): void;
  close(): Promise<void>;
}

/** Starts one link's listener. */
export async function startLink(link: ProxiedLink): Promise<RunningLink> {
  let counters = emptyCounters();
  const sockets = new Set<net.Socket>();
  const half = link.rttMs / 2;
  const server = net.createServer((client) => {
    const opened = performance.now();
    counters.connections += 1;
    const upstream = net.connect({ host: link.targetHost, port: link.targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const up = new DelayedPipe(upstream, half);
    up.holdUntil(opened + link.rttMs + half);
    const down = new DelayedPipe(client, half);
    let last: 'up' | 'down' | null = null;
    client.on('data', (chunk: Buffer) => {
      counters.bytesUp += chunk.length;
      last = 'up';
      up.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      counters.bytesDown += chunk.length;
      if (last === 'up') counters.roundTrips += 1;
      last = 'down';
      down.push(chunk);
    });
    client.on('end', () => up.push(null));
    upstream.on('end', () => down.push(null));
    const closeBoth = () => {
      up.clear();
      down.clear();
      client.destroy();
      upstream.destroy();
    };
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
    });
    client.on('error', closeBoth);
    upstream.on('error', () => {
      if (connected) return closeBoth();
      // A target that refuses the connection: the client's is reset (as the target's refusal would
      // be) a round trip after its request, rather than ended. Node's fetch, hung up on with a
      // clean end right after connecting, or reset before it wrote its request, may wait forever
      // with nothing left to wake it, and a service awaiting it at start exits.
      up.clear();
      down.clear();
      const resetNow = () => {
        if (!client.destroyed) client.resetAndDestroy();
      };
      const reset = () => setTimeout(resetNow, link.rttMs);
      if (client.bytesRead > 0) reset();
      else {
        client.once('data', reset);
        // a client that never sends is reset all the same, long after any request would have come
        setTimeout(resetNow, 30_000).unref();
      }
    });
    client.on('close', () => {
      sockets.delete(client);
      // let what is in flight towards the target arrive, then close
      setTimeout(() => upstream.destroy(), half + 1).unref();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      // a refused connection's client is reset above, not ended
      if (connected) setTimeout(() => client.destroy(), half + 1).unref();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(link.port, link.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    link,
    port: (server.address() as net.AddressInfo).port,
    get counters() {
      return counters;
    },
    reset() {
      counters = emptyCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface LinkReport extends LinkCounters {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly target: string;
  readonly kind: WanKind;
  readonly rttMs: number;
  readonly port: number;
}

export function linkReport(running: RunningLink): LinkReport {
  const { link } = running;
  return { id: link.id, from: link.from, to: link.to, target: link.target, kind: link.kind, rttMs: link.rttMs, port: link.port, ...running.counters };
}

/** All links of a plan, started together (all or none). */
export async function startLinks(links: readonly ProxiedLink[]): Promise<RunningLink[]> {
  const started: RunningLink[] = [];
  try {
    for (const link of links) started.push(await startLink(link));
  } catch (error) {
    await Promise.all(started.map((l) => l.close()));
    throw error;
  }
  return started;
}
