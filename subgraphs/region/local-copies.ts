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
 * A region that stops deletes its heartbeat row and waits (at most `STOP_NOTICE_MS`) until its
 * subscribers have applied that: its copies then show no heartbeat (`asOf` null), so no site
 * answers for a stopped site's warehouse from its copy (everyWarehouse) before the age bound
 * would have caught it.
 */
import { sql, type Kysely } from 'kysely';
import { createKysely } from '../../lib/db/connect.ts';
import { FollowingPool } from '../../lib/db/following-pool.ts';
import type { SiteDatabase } from '../../lib/db/tables.ts';
import { copyDatabase, SITE_IDS, type SiteId, type Topology } from '../../lib/topology.ts';

export const DEFAULT_HEARTBEAT_MS = 1_000;
/** How long a stopping region waits for its subscribers to hear that its heartbeat is gone. */
export const STOP_NOTICE_MS = 2_000;

/** One warehouse's stock of a product, as everyWarehouse() answers it. */
export interface WarehouseLevel {
  readonly productId: number;
  readonly site: SiteId;
  readonly quantity: number;
}

/** Raised by everyWarehouse() when a copy is older than the bound (or has no heartbeat). */
export class StaleCopyError extends Error {
  constructor(
    readonly source: SiteId,
    readonly ageMs: number | null,
    readonly maxAgeMs: number,
  ) {
    super(ageMs === null ? `This site's copy of the ${source} stock has no heartbeat (its region stopped, or never started)` : `This site's copy of the ${source} stock is ${ageMs} ms old (at most ${maxAgeMs} ms)`);
    this.name = 'StaleCopyError';
  }
}

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

/**
 * Refreshes this site's heartbeat row until stopped; a failed write is retried at the next tick.
 * `stop()` deletes the row and waits, at most `noticeMs`, for every subscriber of this site's
 * stock to have applied the deletion (pg_stat_replication of the `copie_<site>_vers_…` senders).
 */
export function startHeartbeat(db: Kysely<SiteDatabase>, site: SiteId, intervalMs = DEFAULT_HEARTBEAT_MS, noticeMs = STOP_NOTICE_MS): { stop(): Promise<void> } {
  let stopped = false;
  let last: Promise<void> = Promise.resolve();
  const write = async () => {
    try {
      await sql`INSERT INTO battement (site, instant) VALUES (${site}, now())
                ON CONFLICT (site) DO UPDATE SET instant = excluded.instant`.execute(db);
    } catch {
      // the server is away (failover, restart): the copies' age grows, which is what they must show
    }
  };
  const beat = () => {
    last = write();
  };
  beat();
  const timer = setInterval(() => {
    if (!stopped) beat();
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      // a beat under way would put the row back after the deletion
      await last;
      try {
        await sql`DELETE FROM battement WHERE site = ${site}`.execute(db);
        // read after the deletion's commit: a subscriber past this position has applied it
        const { rows } = await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(db);
        const lsn = rows[0]!.lsn;
        const until = Date.now() + noticeMs;
        const senders = `${copyDatabase(site)}\\_vers\\_%`;
        while (Date.now() < until) {
          const { rows: behind } = await sql<{ behind: string | number }>`
            SELECT count(*) AS behind FROM pg_stat_replication
            WHERE application_name LIKE ${senders} AND (write_lsn IS NULL OR write_lsn < ${lsn}::pg_lsn)`.execute(db);
          if (Number(behind[0]!.behind) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch {
        // the server is away: the copies' age shows it after the bound
      }
    },
  };
}

export class StockCopies {
  private readonly copies: Map<SiteId, { pool: FollowingPool; db: Kysely<unknown> }>;

  constructor(topology: Topology, private readonly site: SiteId) {
    this.copies = new Map(
      SITE_IDS.filter((s) => s !== site).map((source) => {
        const pool = new FollowingPool(topology, site, { target: 'primary', databaseName: copyDatabase(source), applicationName: `teranga-region-${site}-copies`, max: 4 });
        return [source, { pool, db: createKysely<unknown>(pool) }] as const;
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

  /**
   * Every warehouse's stock of the products, by product, each list in site order: this site's
   * from `ownStock` (live), the others' from the copies, each copy's heartbeat at most `maxAgeMs`
   * old (else StaleCopyError). A warehouse without a row for a product holds none of it. One
   * statement per copy, the heartbeat's age with the rows.
   */
  async everyWarehouse(
    ownStock: (ids: readonly number[]) => Promise<readonly { productId: number; quantity: number }[]>,
    productIds: readonly number[],
    maxAgeMs: number,
  ): Promise<Map<number, WarehouseLevel[]>> {
    const ids = [...productIds];
    const own = ownStock(ids).then((levels) => new Map(levels.map((l) => [l.productId, l.quantity])));
    const copies = [...this.copies].map(async ([source, copy]) => {
      const { rows } = await sql<{ instant: Date | null; now: Date; produit_id: number | null; quantite: number | null }>`
        SELECT h.instant, now() AS now, s.produit_id, s.quantite
        FROM (SELECT (SELECT instant FROM battement WHERE site = ${source}) AS instant) h
        LEFT JOIN stock s ON s.produit_id = ANY(${ids}::int[])`.execute(copy.db);
      const first = rows[0];
      const ageMs = first?.instant instanceof Date ? first.now.getTime() - first.instant.getTime() : null;
      if (ageMs === null || ageMs > maxAgeMs) throw new StaleCopyError(source, ageMs, maxAgeMs);
      return [source, new Map(rows.flatMap((r) => (r.produit_id === null ? [] : [[r.produit_id, r.quantite ?? 0] as const])))] as const;
    });
    // awaited together, as in figures(): no rejection is left unhandled
    const [ownLevels, copyLevels] = await Promise.all([own, Promise.all(copies)]);
    const bySite = new Map<SiteId, Map<number, number>>([[this.site, ownLevels], ...copyLevels]);
    return new Map(productIds.map((productId) => [productId, SITE_IDS.map((site) => ({ productId, site, quantity: bySite.get(site)?.get(productId) ?? 0 }))]));
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.copies.values()].map((c) => c.db.destroy()));
  }
}
