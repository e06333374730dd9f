/**
 * The payment relay's backlog, read from the site's outbox when Prometheus (or the console)
 * scrapes: how many captures, voids and refunds wait for the provider's acknowledgement, and how
 * long the oldest has waited. A growing backlog means the provider is unreachable or refusing.
 */
import { sql, type Kysely } from 'kysely';
import { Gauge, Registry } from 'prom-client';
import { oncePerScrape } from '../../lib/service/metrics.ts';
import type { SiteDatabase } from '../../lib/db/tables.ts';

interface BacklogRow {
  readonly pending: number;
  readonly oldest_seconds: number | null;
}

export function outboxMetrics(db: Kysely<SiteDatabase>, site: string): Registry {
  const registry = new Registry();
  const read = async (): Promise<BacklogRow | null> => {
    try {
      const result = await sql<BacklogRow>`
        SELECT count(*)::int AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_seconds
        FROM sortie_paiement WHERE statut = 'PENDING'`.execute(db);
      return result.rows[0] ?? null;
    } catch {
      // the database is down or in recovery: no sample rather than a failed scrape
      return null;
    }
  };
  // both gauges come from one query per scrape
  const once = oncePerScrape(read);
  new Gauge({
    name: 'teranga_payment_outbox_pending',
    help: 'Payment operations (capture, void, refund) waiting for the provider at this site',
    labelNames: ['site'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const row = await once();
      if (row) this.set({ site }, row.pending);
    },
  });
  new Gauge({
    name: 'teranga_payment_outbox_oldest_age_seconds',
    help: 'Age of the oldest payment operation still waiting at this site (0 when none)',
    labelNames: ['site'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const row = await once();
      if (row) this.set({ site }, row.oldest_seconds ?? 0);
    },
  });
  return registry;
}
