/**
 * How much of a product's stock a regional site answers in a `Product` entity fetch. By default
 * its own warehouse's part (the gateway asks every site and combines the parts). With
 * `x-teranga-stock-scope: every-warehouse`, the gateway asks one site only, which answers every
 * warehouse: its own live, the others from its local copies (subgraphs/region/local-copies.ts),
 * provided each copy is at most `maxAgeMs` old; otherwise it refuses (SITE_UNAVAILABLE, naming the stale copy) and the
 * gateway asks every site for its own part instead.
 */
export const STOCK_SCOPE_HEADER = 'x-teranga-stock-scope';
export const EVERY_WAREHOUSE = 'every-warehouse';

/**
 * Three seconds: how old another warehouse's figure in the catalogue may be (the copy's heartbeat,
 * refreshed every second, plus the replication delay). An older copy is not used.
 */
export const DEFAULT_STOCK_COPY_MAX_AGE_MS = 3_000;

/** `TERANGA_STOCK_COPY_MAX_AGE_MS` (milliseconds, 0: never answer from the copies). */
export function stockCopyMaxAgeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TERANGA_STOCK_COPY_MAX_AGE_MS;
  if (raw === undefined || raw === '') return DEFAULT_STOCK_COPY_MAX_AGE_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`TERANGA_STOCK_COPY_MAX_AGE_MS must be a non-negative number of milliseconds, got "${raw}"`);
  return value;
}
