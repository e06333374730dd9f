/**
 * Benchmark articles: products whose stock sits at a single warehouse each, so a chosen order is
 * served by exactly one site or by exactly three. Written straight to the databases (with
 * ledger lines) and topped up before every run; they are ordinary products afterwards.
 */
import type pg from 'pg';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import type { Topology } from '../lib/topology.ts';
import { onPrimary } from './servers.ts';

export interface Fixture {
  id: number;
  site: SiteId;
}

/** Concurrent benchmark clients each get their own articles, so they measure the protocol, not one hot row. */
export const FIXTURE_SETS = 16;

export interface FixtureSet {
  /** One article per warehouse: a Dakar client's order of all three touches three sites. */
  threeSites: number[];
  /** Three articles stocked only at Dakar: the same order shape served by one site. */
  oneSite: number[];
}

export function fixtureSet(worker: number): FixtureSet {
  const base = 9000 + (worker % FIXTURE_SETS) * 10;
  return { threeSites: [base + 1, base + 2, base + 3], oneSite: [base + 4, base + 5, base + 6] };
}

/** An article stocked at this site only, so an order of it by the site's client stays local. */
export function localArticle(site: SiteId, worker: number): number {
  const set = fixtureSet(worker);
  return site === 'dakar' ? set.oneSite[0]! : site === 'thies' ? set.threeSites[1]! : set.threeSites[2]!;
}

export const FIXTURES: readonly Fixture[] = Array.from({ length: FIXTURE_SETS }, (_, w) => {
  const set = fixtureSet(w);
  return [
    { id: set.threeSites[0]!, site: 'dakar' as const },
    { id: set.threeSites[1]!, site: 'thies' as const },
    { id: set.threeSites[2]!, site: 'saint-louis' as const },
    ...set.oneSite.map((id) => ({ id, site: 'dakar' as const })),
  ];
}).flat();

const STOCK = 1_000_000;

/** Writes go to the database's current primary, found as the services find it (after a failover, the promoted standby). */
function onServer<T>(topology: Topology, role: 'products' | 'coordinator' | SiteId, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return onPrimary(topology, role, fn);
}

export async function prepareFixtures(topology: Topology): Promise<void> {
  await onServer(topology, 'products', (c) =>
    c.query(
      `INSERT INTO produit (id, nom, description, prix)
       SELECT id, 'Article de banc d''essai ' || id, 'Produit réservé aux mesures de performance', 1000
       FROM unnest($1::int[]) AS id ON CONFLICT (id) DO NOTHING`,
      [FIXTURES.map((f) => f.id)],
    ),
  );
  for (const site of SITE_IDS) {
    await onServer(topology, site, async (c) => {
      await c.query('INSERT INTO stock (produit_id, quantite) SELECT id, 0 FROM unnest($1::int[]) AS id ON CONFLICT DO NOTHING', [FIXTURES.map((f) => f.id)]);
      const mine = FIXTURES.filter((f) => f.site === site).map((f) => f.id);
      // top up to STOCK, recording the change like a restock
      await c.query(
        `WITH topped AS (
           UPDATE stock s SET quantite = $2 FROM stock old
           WHERE s.produit_id = ANY($1) AND old.produit_id = s.produit_id AND old.quantite < $2
           RETURNING s.produit_id, $2 - old.quantite AS delta)
         INSERT INTO mouvement_stock (produit_id, delta, motif) SELECT produit_id, delta, 'REAPPROVISIONNEMENT' FROM topped`,
        [mine, STOCK],
      );
    });
  }
  await prepareBenchClient(topology);
}

/** The customer the write path orders for: a Dakar client of its own, outside the seed. */
export const BENCH_CLIENT = { id: 900, nom: 'Client de banc d’essai', ville: 'Dakar', email: 'banc.essai@teranga.sn', site: 'dakar' as SiteId } as const;

/** Registers the benchmark customer at its site and in the client directory, once. */
export async function prepareBenchClient(topology: Topology): Promise<void> {
  const { id, nom, ville, email, site } = BENCH_CLIENT;
  await onServer(topology, site, (c) => c.query('INSERT INTO client (id, nom, ville, email) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [id, nom, ville, email]));
  await onServer(topology, 'coordinator', (c) => c.query('INSERT INTO client_site (client_id, site, email) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING', [id, site, email]));
}
