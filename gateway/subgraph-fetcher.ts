/**
 * The HTTP client of the subgraph data sources: Node's fetch with a deadline. A subgraph that
 * refuses the connection, resets it or does not answer in time raises SubgraphUnreachableError,
 * which the site router reports as SITE_UNAVAILABLE on the affected fields only.
 */
import type { RemoteGraphQLDataSource } from '@apollo/gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

export class SubgraphUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${url} cannot be reached: ${reason}`, options);
    this.name = 'SubgraphUnreachableError';
  }
}

/** The most telling description of a failed fetch: undici hides the socket error in `cause`. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function subgraphFetcher(timeoutMs: number): Fetcher {
  return async (url, init) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const body = typeof init?.body === 'string' || init?.body === undefined ? init?.body : new Uint8Array(init.body);
      const response = await fetch(url, { method: init?.method, headers: init?.headers, body, signal });
      // read the body under the same deadline, so a subgraph that stalls mid-answer is unreachable too
      const answer = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      const read = new Response(answer, { status: response.status, statusText: response.statusText, headers: response.headers });
      Object.defineProperty(read, 'url', { value: response.url });
      return read;
    } catch (error) {
      throw new SubgraphUnreachableError(url, networkReason(error), { cause: error });
    }
  };
}
