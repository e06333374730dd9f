/**
 * The gateway's cache of subgraph answers for product information, after Apollo Router's entity
 * caching: the answer of a query fetch (a root field such as `products(limit: 200)`, or an
 * `_entities` batch) is kept under its operation and variables for `ttlMs`, then fetched anew.
 *
 * Bound by time, not invalidated: product information (name, description, price) changes only
 * by the products database's own scripts, never through the API, so the gateway has no write to
 * hear of; a catalogue may therefore show a name or a price at most `ttlMs` old. Prices charged
 * are never read from here: the orders subgraph reads them from the products subgraph itself.
 * Stock is not product information and is never cached: it comes from the regional sites, live.
 *
 * Concurrent misses of one key share one fetch (the first one's), and only answers without errors
 * are kept. Each hit hands out its own copy: the gateway merges later fetches (stock, inventory)
 * into the objects it receives, which must not reach the next request.
 */

export interface EntityCacheOptions {
  /** How long an answer is served without asking the subgraph again; 0 disables the cache. */
  readonly ttlMs: number;
  /** Answers kept at most, the least recently used dropped first. */
  readonly maxEntries?: number;
  /** The clock (tests move it). */
  readonly now?: () => number;
}

/** Two seconds: a catalogue at most that stale, while a busy gateway asks the products subgraph once per interval. */
export const DEFAULT_ENTITY_CACHE_TTL_MS = 2_000;
export const DEFAULT_ENTITY_CACHE_ENTRIES = 1_000;

interface Entry<T> {
  readonly expiresAt: number;
  readonly value: T;
}

export class EntityCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: EntityCacheOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) throw new Error(`The entity cache's ttlMs must be a non-negative number, got ${options.ttlMs}`);
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? DEFAULT_ENTITY_CACHE_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached answer of `key`, else `fetch()`'s, kept when `keep(answer)` says so. Every caller
   * gets its own copy.
   */
  async get(key: string, fetch: () => Promise<T>, keep: (answer: T) => boolean): Promise<T> {
    if (!this.enabled) return fetch();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
      this.entries.delete(key);
      this.entries.set(key, entry);
      return structuredClone(entry.value);
    }
    if (entry) this.entries.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = fetch().then((answer) => {
        if (keep(answer)) this.store(key, answer);
        return answer;
      });
      const shared = pending;
      this.inFlight.set(key, shared);
      void shared.then(
        () => this.inFlight.delete(key),
        () => this.inFlight.delete(key),
      );
    }
    return structuredClone(await pending);
  }

  private store(key: string, value: T): void {
    this.entries.set(key, { expiresAt: this.now() + this.ttlMs, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
