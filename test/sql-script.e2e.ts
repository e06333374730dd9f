/**
 * The SQL scripts of the case study, run as an operator would:
 * - deliverable 2, sql/creer_site.sql: builds one site's tables and data with plain psql, on a
 *   scratch database of the test cluster's server;
 * - task 3c, sql/commande_repartie.sql: runs an order across the sites from the coordinator with dblink.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrationFiles } from '../lib/migrations.ts';
import { SITE_IDS } from '../lib/sites.ts';
import { connectionString, serverByName } from '../lib/topology.ts';
import { clientsOfSite } from '../seed/generate.ts';
import { SEED_PRODUCTS } from '../seed/products.ts';
import { splitStock } from '../seed/stock-split.ts';
import { findOnPath } from './support/docker-engine.ts';
import { serverNamed, sql, topology } from './support/cluster.ts';
import { expectNothingPrepared, expectOrdersAtomic, expectStockConserved, fingerprint, stockAt } from './support/invariants.ts';

const script = readFileSync(path.join(topology.root, 'sql', 'commande_repartie.sql'), 'utf8');

/** Runs the whole file as psql -f would: several statements, the last one's rows returned. */
async function runScript(): Promise<{ commande: string }[]> {
  const client = new pg.Client({ connectionString: connectionString(topology, serverByName(topology, 'coordinator')) });
  await client.connect();
  try {
    const results = (await client.query(script)) as unknown as pg.QueryResult<{ commande: string }>[];
    return results[results.length - 1]!.rows;
  } finally {
    await client.end();
  }
}

describe('sql/commande_repartie.sql', () => {
  it('places its example order at two warehouses atomically when run as a whole', async () => {
    const before = { sl: await stockAt('saint-louis', 106), thies: await stockAt('thies', 106) };
    const [row] = await runScript();
    const orderId = row!.commande;
    expect(await stockAt('saint-louis', 106)).toBe(before.sl - 1);
    expect(await stockAt('thies', 106)).toBe(before.thies - 1);
    const lines = await sql<{ site: string; quantite: number; prix_unitaire: number }>(
      'saint-louis', 'SELECT site, quantite, prix_unitaire FROM ligne_commande WHERE commande_id = $1 ORDER BY site', [orderId]);
    expect(lines).toEqual([
      { site: 'saint-louis', quantite: 1, prix_unitaire: 65000 },
      { site: 'thies', quantite: 1, prix_unitaire: 65000 },
    ]);
    const [decision] = await sql<{ decision: string }>('saint-louis', 'SELECT decision FROM decision_2pc WHERE gid = $1', [`tg:order:${orderId}:saint-louis`]);
    expect(decision!.decision).toBe('COMMIT');
    await expectNothingPrepared();
    await expectOrdersAtomic();
    await expectStockConserved();
  });

  it('rolls back every prepared share when one warehouse is short, changing nothing', async () => {
    const before = await fingerprint();
    await expect(
      sql('coordinator', `SELECT commande_repartie(3, '[{"produit_id": 106, "site": "dakar", "quantite": 1},
                                                        {"produit_id": 106, "site": "thies", "quantite": 100000}]'::jsonb)`),
    ).rejects.toThrow(/OUT_OF_STOCK/);
    expect(await fingerprint()).toBe(before);
  });
});

const run = promisify(execFile);
const siteScript = path.join(topology.root, 'sql', 'creer_site.sql');

describe('sql/creer_site.sql (deliverable 2, plain psql)', () => {
  // the machine's psql client (Debian: postgresql-client); the embedded server package has none
  const psql = findOnPath('psql');
  const server = serverNamed('thies');
  const scratch = `teranga_script_${randomUUID().slice(0, 8)}`;
  const urlOf = (database: string) => connectionString(topology, server).replace(/\/[^/]*$/, `/${database}`);
  const runPsql = (args: string[]) => run(psql!, ['-X', '-q', '-At', ...args, urlOf(scratch)], { cwd: topology.root });

  it('includes exactly the files teranga migrate applies to a site, in their order', () => {
    const included = [...readFileSync(siteScript, 'utf8').matchAll(/^\s*\\ir \.\.\/migrations\/(\S+)$/gm)].map((m) => m[1]!);
    const shared = migrationFiles(topology.root, 'dakar').map((f) => f.name).filter((n) => n.startsWith('site/'));
    const perSite = SITE_IDS.map((site) => migrationFiles(topology.root, site).map((f) => f.name).filter((n) => !n.startsWith('site/')));
    for (const files of perSite) expect(files.map((n) => n.replace(/^[^/]+\//, ''))).toEqual(['002_client_fragment.sql']);
    // 001, then the one per-site file (three branches of one \if), then the rest of site/
    expect(included).toEqual([shared[0], ...SITE_IDS.map((site) => `${site}/002_client_fragment.sql`), ...shared.slice(1)]);
  });

  it('builds the Thiès site with its clients, its stock and its constraints on an empty database', async () => {
    expect(psql, 'no psql client on PATH (Debian: apt-get install postgresql-client)').toBeDefined();
    await sql('thies', `CREATE DATABASE ${scratch}`);
    try {
      const { stdout } = await runPsql(['-v', 'site=thies', '-f', 'sql/creer_site.sql']);
      const clients = clientsOfSite('thies');
      const units = SEED_PRODUCTS.reduce((sum, p) => sum + splitStock(p.stock, p.id).thies, 0);
      expect(stdout.trim().split('\n').at(-1)).toBe(`thies|${clients.length}|${SEED_PRODUCTS.length}|${units}`);
      const db = new pg.Client({ connectionString: urlOf(scratch) });
      await db.connect();
      try {
        const ids = (await db.query<{ id: number }>('SELECT id FROM client ORDER BY id')).rows.map((r) => r.id);
        expect(ids).toEqual(clients.map((c) => c.id));
        const tables = (await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map((r) => r.t);
        expect(tables).toEqual((await sql<{ t: string }>('thies', "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'teranga_migration' ORDER BY 1")).map((r) => r.t));
        // the fragment's city CHECK and the non-negative stock hold on the built site
        await expect(db.query("INSERT INTO client VALUES (9101, 'Mauvais Site', 'Dakar', 'ms@example.com')")).rejects.toThrow(/client_ville_site/);
        await expect(db.query('UPDATE stock SET quantite = -1 WHERE produit_id = 101')).rejects.toThrow(/stock_quantite_check/);
      } finally {
        await db.end();
      }
    } finally {
      await sql('thies', `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    }
  });

  it('refuses an unknown site and a missing one, creating nothing', async () => {
    expect(psql).toBeDefined();
    await sql('thies', `CREATE DATABASE ${scratch}`);
    try {
      await expect(runPsql(['-v', 'site=kaolack', '-f', 'sql/creer_site.sql'])).rejects.toMatchObject({ code: 3, stdout: expect.stringContaining('Site inconnu') });
      await expect(runPsql(['-f', 'sql/creer_site.sql'])).rejects.toMatchObject({ code: 3 });
      const db = new pg.Client({ connectionString: urlOf(scratch) });
      await db.connect();
      try {
        expect((await db.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows).toEqual([{ n: 0 }]);
      } finally {
        await db.end();
      }
    } finally {
      await sql('thies', `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    }
  });
});
