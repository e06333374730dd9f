/**
 * The fragmentation rules, checked on the real servers: completeness, disjointness,
 * reconstruction through the coordinator's global views, placement, and the constraints.
 */
import { describe, expect, it } from 'vitest';
import { placement } from '../lib/placement.ts';
import { SITE_IDS } from '../lib/sites.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { SEED_PRODUCTS } from '../seed/products.ts';
import { sql } from './support/cluster.ts';

const CASE_STUDY_PRODUCTS = [
  [101, 'Ordinateur HP', 'PC portable 15 pouces', 450000, 20],
  [102, 'Smartphone Samsung', 'Galaxy S22, 128 Go', 350000, 50],
  [103, 'Casque Bluetooth', 'Casque sans fil Sony', 75000, 30],
  [104, 'Tablette iPad', 'iPad Air 10.9 pouces', 600000, 15],
  [105, 'Disque Dur Externe', '1 To, USB 3.0', 55000, 40],
  [106, 'Clavier Mécanique', 'Clavier gamer rétroéclairé', 65000, 25],
  [107, 'Imprimante HP Laser', 'Imprimante laser monochrome', 175000, 10],
  [108, 'Chargeur Universel', 'Chargeur rapide 65W', 30000, 60],
  [109, 'Écouteurs sans fil', 'Écouteurs Bluetooth', 45000, 35],
  [110, 'Souris Gamer', 'Souris optique 8000 DPI', 40000, 45],
].map(([id, nom, description, prix, stock]) => ({ id, nom, description, prix, stock }));

type ClientRow = { id: number; nom: string; ville: string; email: string };

// Other suites register clients (ids from 1000) and place orders on the same cluster: compare the
// seed clients, and add back what the warehouses' ledgers say left the stock.
const FIRST_REGISTERED_ID = 1000;

async function stockWithLedgerAddedBack(rows: { id: number; stock: number }[]) {
  const out = new Map<number, number>();
  for (const site of SITE_IDS) {
    for (const r of await sql<{ produit_id: number; moved: number }>(site, 'SELECT produit_id, sum(delta)::int AS moved FROM mouvement_stock GROUP BY produit_id')) {
      out.set(r.produit_id, (out.get(r.produit_id) ?? 0) + r.moved);
    }
  }
  return rows.map((r) => ({ ...r, stock: r.stock - (out.get(r.id) ?? 0) }));
}

describe('Client horizontal fragmentation', () => {
  it('is complete: the union view on the coordinator reproduces the seed relation exactly', async () => {
    // the seed's ids only: other files (and the bench, whose customer is id 900) add clients of their own
    const rows = await sql<ClientRow>('coordinator', 'SELECT id, nom, ville, email FROM client WHERE id = ANY($1) ORDER BY id', [SEED_CLIENTS.map((c) => c.id)]);
    expect(rows).toEqual([...SEED_CLIENTS].sort((a, b) => a.id - b.id).map(({ id, nom, ville, email }) => ({ id, nom, ville, email })));
    expect(rows.length).toBeGreaterThanOrEqual(50);
  });

  it('is disjoint: no client is held by two sites', async () => {
    const fragments = await Promise.all(SITE_IDS.map((site) => sql<{ id: number }>(site, 'SELECT id FROM client')));
    const ids = fragments.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places every client at the site nearest its city (Ziguinchor and Kaolack included)', async () => {
    for (const site of SITE_IDS) {
      const rows = await sql<ClientRow>(site, 'SELECT id, ville FROM client');
      for (const row of rows) expect(placement(row.ville).site, `${row.ville} at ${site}`).toBe(site);
    }
    const thies = await sql<ClientRow>('thies', "SELECT id, ville FROM client WHERE ville IN ('Ziguinchor', 'Kaolack') AND id < $1 ORDER BY id", [FIRST_REGISTERED_ID]);
    const expected = SEED_CLIENTS.filter((c) => c.ville === 'Ziguinchor' || c.ville === 'Kaolack').map((c) => c.id).sort((a, b) => a - b);
    expect(thies.map((r) => r.id)).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining([5, 7, 10]));
    expect(placement('Ziguinchor').site).toBe('thies');
    expect(placement('Kaolack').site).toBe('thies');
  });

  it('keeps the client directory in step with the fragments', async () => {
    const directory = await sql<{ client_id: number; site: string }>('coordinator', 'SELECT client_id, site FROM client_site ORDER BY client_id');
    const held = await sql<{ id: number; site: string }>('coordinator', 'SELECT id, site FROM client_fragment ORDER BY id');
    expect(directory.map((r) => [r.client_id, r.site])).toEqual(held.map((r) => [r.id, r.site]));
  });
});

describe('Produit vertical fragmentation', () => {
  it('reconstructs the case study rows 101–110 with their original Stock', async () => {
    const rows = await sql<{ id: number; stock: number }>('coordinator', 'SELECT id, nom, description, prix, stock FROM produit WHERE id BETWEEN 101 AND 110 ORDER BY id');
    expect(await stockWithLedgerAddedBack(rows)).toEqual(CASE_STUDY_PRODUCTS);
  });

  it('reconstructs every seed product: info ⋈ Σ stock equals the seed relation', async () => {
    // the seed's ids only: other files and the bench add products of their own (checked below)
    const rows = await sql<{ id: number; stock: number }>('coordinator', 'SELECT id, nom, description, prix, stock FROM produit WHERE id = ANY($1) ORDER BY id', [SEED_PRODUCTS.map((p) => p.id)]);
    expect(await stockWithLedgerAddedBack(rows)).toEqual([...SEED_PRODUCTS].sort((a, b) => a.id - b.id).map(({ id, nom, description, prix, stock }) => ({ id, nom, description, prix, stock })));
  });

  it('is lossless for every product, seed or added: one stock row per warehouse, no stock row without its product', async () => {
    const products = (await sql<{ id: number }>('products', 'SELECT id FROM produit ORDER BY id')).map((r) => r.id);
    for (const site of SITE_IDS) {
      const stocked = (await sql<{ produit_id: number }>(site, 'SELECT produit_id FROM stock ORDER BY produit_id')).map((r) => r.produit_id);
      expect(stocked, site).toEqual(products);
    }
  });

  it('keeps only the general information on the products server and only stock at each of the three sites', async () => {
    const columns = await sql<{ column_name: string }>('products', "SELECT column_name FROM information_schema.columns WHERE table_name = 'produit' ORDER BY ordinal_position");
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'nom', 'description', 'prix']);
    for (const site of SITE_IDS) {
      const stockColumns = await sql<{ column_name: string }>(site, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'stock' ORDER BY ordinal_position");
      expect(stockColumns.map((c) => c.column_name), site).toEqual(['produit_id', 'quantite', 'version']);
      const produitTables = await sql<{ n: number }>(site, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'produit'");
      expect(produitTables[0]!.n, `${site} holds no copy of the general product information`).toBe(0);
    }
  });
});

describe('constraints refuse bad rows', () => {
  it('refuses negative stock', async () => {
    await expect(sql('dakar', 'UPDATE stock SET quantite = -1 WHERE produit_id = 101')).rejects.toThrow(/stock_quantite_check/);
    const [row] = await sql<{ quantite: number }>('dakar', 'SELECT quantite FROM stock WHERE produit_id = 101');
    expect(row!.quantite).toBeGreaterThanOrEqual(0);
  });

  it('refuses a duplicate email within a fragment, whatever its case', async () => {
    await expect(sql('dakar', "INSERT INTO client VALUES (9001, 'Copie', 'Dakar', 'MNDIAYE@example.com')")).rejects.toThrow(/client_email_key/);
  });

  it('refuses a duplicate email across fragments in the directory', async () => {
    await expect(sql('coordinator', "INSERT INTO client_site VALUES (9002, 'thies', 'mndiaye@example.com')")).rejects.toThrow(/client_site_email_key/);
  });

  it('refuses a client written into the wrong fragment', async () => {
    await expect(sql('dakar', "INSERT INTO client VALUES (9003, 'Mauvais Site', 'Saint-Louis', 'mauvais@example.com')")).rejects.toThrow(/client_ville_site/);
    await expect(sql('saint-louis', "INSERT INTO client VALUES (9004, 'Mauvais Site', 'Kaolack', 'mauvais2@example.com')")).rejects.toThrow(/client_ville_site/);
  });
});

describe('replication', () => {
  it('streams every primary to its standby, which refuses writes', async () => {
    for (const site of SITE_IDS) {
      const [repl] = await sql<{ state: string }>(site, 'SELECT state FROM pg_stat_replication');
      expect(repl?.state).toBe('streaming');
      await expect(sql(`${site}-standby`, 'INSERT INTO stock VALUES (9999, 1)')).rejects.toThrow(/read-only/);
    }
  });

  it('propagates an update on a primary to its standby', async () => {
    const marker = `repl-${Date.now()}`;
    await sql('thies', 'INSERT INTO decision_2pc (gid, decision) VALUES ($1, $2)', [marker, 'ABORT']);
    try {
      let seen: unknown[] = [];
      for (let i = 0; i < 50 && seen.length === 0; i++) {
        seen = await sql('thies-standby', 'SELECT 1 FROM decision_2pc WHERE gid = $1', [marker]);
        if (seen.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen).toHaveLength(1);
    } finally {
      await sql('thies', 'DELETE FROM decision_2pc WHERE gid = $1', [marker]);
    }
  });
});
