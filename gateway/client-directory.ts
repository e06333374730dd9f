/**
 * Which site holds each client, asked of the orders service's client directory and cached, so
 * that `client(id)` and `Client` entities reach their own site in one hop.
 *
 * Only known clients are cached: a client registered after an unknown-id lookup must be found
 * on the next one. A cached site can go stale when a client moves; the router notices (the site
 * answers null) and calls `refresh`.
 */
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { isSiteId, type SiteId } from '../lib/sites.ts';

export interface ClientDirectory {
  /** Each id's site, null for an unknown client. @throws DirectoryUnavailableError */
  sitesOf(ids: readonly string[]): Promise<Map<string, SiteId | null>>;
  /** Same, bypassing the cache and updating it. @throws DirectoryUnavailableError */
  refresh(ids: readonly string[]): Promise<Map<string, SiteId | null>>;
}

export class DirectoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`The client directory cannot answer: ${message}`, options);
    this.name = 'DirectoryUnavailableError';
  }
}

export interface HttpClientDirectoryOptions {
  /** `POST` endpoint answering `{ ids }` with `{ sites: { id: site | null } }`. */
  readonly url: string;
  readonly internalSecret: string;
  readonly timeoutMs?: number;
  /** Most cached entries kept; the oldest go first. */
  readonly maxEntries?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_ENTRIES = 100_000;

export class HttpClientDirectory implements ClientDirectory {
  private readonly cache = new Map<string, SiteId>();
  /** Lookups in flight, so concurrent requests for the same client share one call. */
  private readonly pending = new Map<string, Promise<SiteId | null>>();

  constructor(private readonly options: HttpClientDirectoryOptions) {}

  async sitesOf(ids: readonly string[]): Promise<Map<string, SiteId | null>> {
    const result = new Map<string, SiteId | null>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const site = this.cache.get(id);
      if (site) result.set(id, site);
      else missing.push(id);
    }
    const waiting = missing.filter((id) => this.pending.has(id));
    const toFetch = missing.filter((id) => !this.pending.has(id));
    if (toFetch.length > 0) this.startLookup(toFetch);
    await Promise.all(
      [...waiting, ...toFetch].map(async (id) => {
        result.set(id, await this.pending.get(id)!);
      }),
    );
    return result;
  }

  async refresh(ids: readonly string[]): Promise<Map<string, SiteId | null>> {
    const unique = [...new Set(ids)];
    const answer = await this.lookup(unique);
    for (const id of unique) this.remember(id, answer.get(id) ?? null);
    return new Map(unique.map((id) => [id, answer.get(id) ?? null]));
  }

  private startLookup(ids: readonly string[]): void {
    const call = this.lookup(ids);
    for (const id of ids) {
      const one = call.then((sites) => {
        const site = sites.get(id) ?? null;
        this.remember(id, site);
        return site;
      });
      // the caller awaits `one`; this only keeps a failed lookup from being reported as unhandled
      one.catch(() => {});
      this.pending.set(id, one);
      void one.finally(() => this.pending.delete(id)).catch(() => {});
    }
  }

  private remember(id: string, site: SiteId | null): void {
    this.cache.delete(id);
    if (site === null) return;
    this.cache.set(id, site);
    if (this.cache.size > (this.options.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      this.cache.delete(this.cache.keys().next().value!);
    }
  }

  private async lookup(ids: readonly string[]): Promise<Map<string, SiteId | null>> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_SECRET_HEADER]: this.options.internalSecret },
        body: JSON.stringify({ ids }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (error) {
      throw new DirectoryUnavailableError((error as Error).message, { cause: error });
    }
    if (!response.ok) throw new DirectoryUnavailableError(`HTTP ${response.status} from ${this.options.url}`);
    const body = (await response.json().catch(() => null)) as { sites?: Record<string, unknown> } | null;
    if (!body?.sites || typeof body.sites !== 'object') {
      throw new DirectoryUnavailableError(`unexpected answer from ${this.options.url}`);
    }
    const sites = new Map<string, SiteId | null>();
    for (const id of ids) {
      const site = body.sites[id];
      sites.set(id, typeof site === 'string' && isSiteId(site) ? site : null);
    }
    return sites;
  }
}
