/**
 * The other warehouses' stock as this site sees it, from its local copies (`copie_<site>`
 * databases fed by logical replication, cluster/logical-copies.ts), and the heartbeat that bounds
 * how old this site's own figures may be in the others' copies.
 *
 * Age bound: the region process of each site writes `battement.instant = now()` every
 * `heartbeatMs` (default 1000 ms). Logical replication applies a publisher's transactions in
 * commit order, so a copy showing heartbeat instant T holds every stock change committed at its
 * warehouse before T: the figure is at most `now − T` old. That bound is what the API shows
 * (`asOf`, `maxAgeMs`); it is about `heartbeatMs` plus the replication delay while the link is
 * up, and it grows without limit when the copy stops receiving, which is the point of showing it.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import { countingLog } from '../../lib/db/connect.ts';
import { FollowingPool } from '../../lib/db/following-pool.ts';
import type { SiteDatabase } from '../../lib/db/tables.ts';
import { copyDatabase, SITE_IDS, type SiteId, type Topology } from '../../lib/topology.ts';

export const DEFAULT_HEARTBEAT_MS = 1_000;

export interface WarehouseFigure {
  readonly productId: number;
  readonly site: SiteId;
  readonly quantity: number;
  /** The row's version as this site sees it (the timestamp strategy's expected version). */
  readonly version: number;
  readonly seenFrom: SiteId;
  readonly live: boolean;
  readonly asOf: Date | null;
  readonly maxAgeMs: number | null;
}

interface CopyRow {
  produit_id: number;
  quantite: number;
  version: string | number;
  instant: Date | null;
  now: Date;
}

/** Refreshes this site's heartbeat row until stopped; a failed write is retried at the next tick. */
export function startHeartbeat(db: Kysely<SiteDatabase>, site: SiteId, intervalMs = DEFAULT_HEARTBEAT_MS): { stop(): void } {
  let stopped = false;
  const beat = async () => {
    try {
      await sql`INSERT INTO battement (site, instant) VALUES (${site}, now())
                ON CONFLICT (site) DO UPDATE SET instant = excluded.instant`.execute(db);
    } catch {
      // the server is away (failover, restart): the copies' age grows, which is what they must show
    }
  };
  void beat();
  const timer = setInterval(() => {
    if (!stopped) void beat();
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

export class StockCopies {
  private readonly copies: Map<SiteId, { pool: FollowingPool; db: Kysely<unknown> }>;

  constructor(topology: Topology, private readonly site: SiteId) {
    this.copies = new Map(
      SITE_IDS.filter((s) => s !== site).map((source) => {
        const pool = new FollowingPool(topology, site, { target: 'primary', databaseName: copyDatabase(source), applicationName: `teranga-region-${site}-copies`, max: 4 });
        return [source, { pool, db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), log: countingLog() }) }] as const;
      }),
    );
  }

  /** Every warehouse's figure for the products, in product then site order: this site's live, the others' from the copies. */
  async figures(own: Kysely<SiteDatabase>, productIds: readonly number[]): Promise<WarehouseFigure[]> {
    if (productIds.length === 0) return [];
    const ids = [...productIds];
    const ownRows = sql<CopyRow>`SELECT produit_id, quantite, version, NULL::timestamptz AS instant, now() AS now FROM stock WHERE produit_id = ANY(${ids}::int[])`.execute(own);
    const copyRows = [...this.copies].map(async ([source, copy]) => {
      const { rows } = await sql<CopyRow>`
        SELECT s.produit_id, s.quantite, s.version, (SELECT instant FROM battement WHERE site = ${source}) AS instant, now() AS now
        FROM stock s WHERE s.produit_id = ANY(${ids}::int[])`.execute(copy.db);
      return [source, rows] as const;
    });
    // awaited together: a failure of one (a server going away in a failover) must not leave the
    // others' rejections unhandled, which would end the process
    const [ownResult, copies] = await Promise.all([ownRows, Promise.all(copyRows)]);
    const bySite = new Map<SiteId, CopyRow[]>([[this.site, ownResult.rows], ...copies]);
    const figures: WarehouseFigure[] = [];
    for (const productId of productIds) {
      for (const site of SITE_IDS) {
        const row = bySite.get(site)?.find((r) => r.produit_id === productId);
        if (!row) continue;
        const live = site === this.site;
        const asOf = live ? row.now : row.instant;
        figures.push({
          productId,
          site,
          quantity: row.quantite,
          version: Number(row.version),
          seenFrom: this.site,
          live,
          asOf,
          maxAgeMs: live ? 0 : asOf ? Math.max(0, row.now.getTime() - asOf.getTime()) : null,
        });
      }
    }
    return figures;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.copies.values()].map((c) => c.db.destroy()));
  }
}
