import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CITIES } from '../lib/cities.ts';
import { citiesOfSite, placement } from '../lib/placement.ts';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { GENERATED_HEADER, seedMigrations, sqlString } from '../seed/generate.ts';
import { SEED_PRODUCTS } from '../seed/products.ts';
import { measurePlacement } from '../bench/placement.ts';
import { CLIENTS_SERVED, CLIENTS_TOTAL, STOCK_REMAINDER_SITE, splitStock, splitStockFixed } from '../seed/stock-split.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The case study's sample rows, as printed there. */
const CASE_STUDY_CLIENTS = [
  { id: 1, nom: 'Mamadou Ndiaye', ville: 'Dakar', email: 'mndiaye@example.com' },
  { id: 2, nom: 'Awa Diop', ville: 'Thiès', email: 'adiop@example.com' },
  { id: 3, nom: 'Ibrahima Ba', ville: 'Saint-Louis', email: 'iba@example.com' },
  { id: 4, nom: 'Fatou Sow', ville: 'Dakar', email: 'fsow@example.com' },
  { id: 5, nom: 'Oumar Fall', ville: 'Ziguinchor', email: 'ofall@example.com' },
  { id: 6, nom: 'Khadija Seck', ville: 'Thiès', email: 'kseck@example.com' },
  { id: 7, nom: 'Modou Gaye', ville: 'Kaolack', email: 'mgaye@example.com' },
  { id: 8, nom: 'Aissatou Diallo', ville: 'Dakar', email: 'adiallo@example.com' },
  { id: 9, nom: 'Cheikh Diagne', ville: 'Saint-Louis', email: 'cdiagne@example.com' },
  { id: 10, nom: 'Seynabou Sy', ville: 'Ziguinchor', email: 'ssy@example.com' },
];

const CASE_STUDY_PRODUCTS = [
  { id: 101, nom: 'Ordinateur HP', description: 'PC portable 15 pouces', prix: 450000, stock: 20 },
  { id: 102, nom: 'Smartphone Samsung', description: 'Galaxy S22, 128 Go', prix: 350000, stock: 50 },
  { id: 103, nom: 'Casque Bluetooth', description: 'Casque sans fil Sony', prix: 75000, stock: 30 },
  { id: 104, nom: 'Tablette iPad', description: 'iPad Air 10.9 pouces', prix: 600000, stock: 15 },
  { id: 105, nom: 'Disque Dur Externe', description: '1 To, USB 3.0', prix: 55000, stock: 40 },
  { id: 106, nom: 'Clavier Mécanique', description: 'Clavier gamer rétroéclairé', prix: 65000, stock: 25 },
  { id: 107, nom: 'Imprimante HP Laser', description: 'Imprimante laser monochrome', prix: 175000, stock: 10 },
  { id: 108, nom: 'Chargeur Universel', description: 'Chargeur rapide 65W', prix: 30000, stock: 60 },
  { id: 109, nom: 'Écouteurs sans fil', description: 'Écouteurs Bluetooth', prix: 45000, stock: 35 },
  { id: 110, nom: 'Souris Gamer', description: 'Souris optique 8000 DPI', prix: 40000, stock: 45 },
];

const siteFile = (site: SiteId) => `migrations/${site}/002_client_fragment.sql`;

/** Ids of the rows of `INSERT INTO <table>` in a generated file. */
function insertedIds(sql: string, table: string): number[] {
  const start = sql.indexOf(`INSERT INTO ${table} (`);
  if (start < 0) return [];
  const end = sql.indexOf(';\n', start);
  return [...sql.slice(start, end).matchAll(/^ {2}\((\d+), /gm)].map((m) => Number(m[1]));
}

describe('seed clients', () => {
  it('start with the case study rows, verbatim', () => {
    expect(SEED_CLIENTS.slice(0, 10)).toEqual(CASE_STUDY_CLIENTS);
  });

  it('number at least 50, with unique ids and emails', () => {
    expect(SEED_CLIENTS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(SEED_CLIENTS.map((c) => c.id)).size).toBe(SEED_CLIENTS.length);
    expect(new Set(SEED_CLIENTS.map((c) => c.email.toLowerCase())).size).toBe(SEED_CLIENTS.length);
  });

  it('use ids 11.. after the sample rows and lowercase emails', () => {
    SEED_CLIENTS.slice(10).forEach((c, i) => expect(c.id).toBe(11 + i));
    for (const c of SEED_CLIENTS) expect(c.email).toMatch(/^[a-z0-9.]+@example\.com$/);
  });

  it('live in canonical cities, every city of the placement table at least once', () => {
    const canonical = new Set(CITIES.map((c) => c.name));
    for (const c of SEED_CLIENTS) expect(canonical, `${c.nom}: ${c.ville}`).toContain(c.ville);
    const represented = new Set(SEED_CLIENTS.map((c) => c.ville));
    expect(CITIES.map((c) => c.name).filter((name) => !represented.has(name))).toEqual([]);
  });
});

describe('seed products', () => {
  it('start with the case study rows, verbatim', () => {
    expect(SEED_PRODUCTS.slice(0, 10)).toEqual(CASE_STUDY_PRODUCTS);
  });

  it('number at least 50, with unique ids 101..', () => {
    expect(SEED_PRODUCTS.length).toBeGreaterThanOrEqual(50);
    SEED_PRODUCTS.forEach((p, i) => expect(p.id).toBe(101 + i));
  });

  it('have integer FCFA prices and stocks in range, some of them scarce or sold out', () => {
    for (const p of SEED_PRODUCTS) {
      expect(Number.isInteger(p.prix) && p.prix >= 5000 && p.prix <= 1_500_000, `${p.nom}: ${p.prix}`).toBe(true);
      expect(Number.isInteger(p.stock) && p.stock >= 0 && p.stock <= 120, `${p.nom}: ${p.stock}`).toBe(true);
    }
    expect(SEED_PRODUCTS.some((p) => p.stock === 0)).toBe(true);
    expect(SEED_PRODUCTS.filter((p) => p.stock >= 1 && p.stock <= 3).length).toBeGreaterThanOrEqual(2);
  });
});

describe('splitStock', () => {
  it('weighs each site by the seed clients it serves (Dakar 15, Thiès 36, Saint-Louis 13 of 64)', () => {
    expect(CLIENTS_SERVED).toEqual({ dakar: 15, thies: 36, 'saint-louis': 13 });
    expect(CLIENTS_TOTAL).toBe(SEED_CLIENTS.length);
    expect(STOCK_REMAINDER_SITE).toBe('thies');
  });

  it("splits every product exactly, by the sites' client shares, with the remainder where most clients are", () => {
    for (const p of SEED_PRODUCTS) {
      const parts = splitStock(p.stock, p.id);
      expect(Object.keys(parts).sort()).toEqual([...SITE_IDS].sort());
      expect(SITE_IDS.reduce((sum, s) => sum + parts[s], 0), `product ${p.id}`).toBe(p.stock);
      expect(parts.dakar).toBe(Math.floor((p.stock * 15) / 64));
      expect(parts['saint-louis']).toBe(Math.floor((p.stock * 13) / 64));
      expect(parts.thies).toBeGreaterThanOrEqual(Math.floor((p.stock * 36) / 64));
      for (const s of SITE_IDS) expect(Number.isInteger(parts[s]) && parts[s] >= 0).toBe(true);
    }
  });

  it('gives small stocks to Thiès first', () => {
    expect(splitStock(0, 1)).toEqual({ dakar: 0, thies: 0, 'saint-louis': 0 });
    expect(splitStock(1, 1)).toEqual({ dakar: 0, thies: 1, 'saint-louis': 0 });
    expect(splitStock(20, 101)).toEqual({ dakar: 4, thies: 12, 'saint-louis': 4 });
    expect(splitStock(64, 1)).toEqual({ dakar: 15, thies: 36, 'saint-louis': 13 });
  });

  it('rejects a stock that is not a non-negative integer', () => {
    expect(() => splitStock(-1, 1)).toThrow(RangeError);
    expect(() => splitStock(2.5, 1)).toThrow(RangeError);
  });
});

describe('sqlString', () => {
  it('quotes and doubles single quotes', () => {
    expect(sqlString("Cartouche d'encre")).toBe("'Cartouche d''encre'");
    expect(sqlString('Thiès')).toBe("'Thiès'");
    expect(sqlString('')).toBe("''");
  });
});

describe('generated seed migrations', () => {
  const files = seedMigrations();

  it('cover the products, each site and the coordinator', () => {
    expect([...files.keys()]).toEqual([
      'migrations/products/002_seed_produit.sql',
      ...SITE_IDS.map(siteFile),
      'migrations/coordinator/002_client_directory.sql',
    ]);
  });

  it('are deterministic, carry the header and end with a newline', () => {
    expect(seedMigrations()).toEqual(files);
    for (const [file, sql] of files) {
      expect(sql.startsWith(`${GENERATED_HEADER}\n-- `), file).toBe(true);
      expect(sql.endsWith(';\n'), file).toBe(true);
    }
  });

  it.each([...seedMigrations().keys()])('%s on disk is up to date', (file) => {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(path.join(ROOT, file), 'utf8');
    } catch {
      onDisk = undefined;
    }
    expect(onDisk, `${file} is missing or stale: run \`npx teranga generate\``).toBe(files.get(file));
  });

  it('hold every product in produit, and a stock row for every product at every site', () => {
    const ids = SEED_PRODUCTS.map((p) => p.id);
    expect(insertedIds(files.get('migrations/products/002_seed_produit.sql')!, 'produit')).toEqual(ids);
    for (const site of SITE_IDS) {
      const sql = files.get(siteFile(site))!;
      expect(insertedIds(sql, 'stock'), site).toEqual(ids);
      for (const p of SEED_PRODUCTS) expect(sql).toContain(`  (${p.id}, ${splitStock(p.stock, p.id)[site]})`);
    }
  });

  it('put each client in exactly one site file, the one placement() names', () => {
    const seen = new Map<number, SiteId[]>();
    for (const site of SITE_IDS) {
      for (const id of insertedIds(files.get(siteFile(site))!, 'client')) {
        seen.set(id, [...(seen.get(id) ?? []), site]);
      }
    }
    expect(seen.size).toBe(SEED_CLIENTS.length);
    for (const c of SEED_CLIENTS) expect(seen.get(c.id), `client ${c.id}`).toEqual([placement(c.ville).site]);
  });

  it('send Ziguinchor and Kaolack clients to the site placement() names', () => {
    for (const ville of ['Ziguinchor', 'Kaolack']) {
      const site = placement(ville).site;
      const clients = SEED_CLIENTS.filter((c) => c.ville === ville);
      expect(clients.length).toBeGreaterThan(0);
      const ids = insertedIds(files.get(siteFile(site))!, 'client');
      for (const c of clients) expect(ids, `${c.nom} (${ville})`).toContain(c.id);
      for (const other of SITE_IDS.filter((s) => s !== site)) {
        const otherIds = insertedIds(files.get(siteFile(other))!, 'client');
        for (const c of clients) expect(otherIds).not.toContain(c.id);
      }
    }
  });

  it("constrain each site's client fragment to the cities it serves", () => {
    for (const site of SITE_IDS) {
      const list = citiesOfSite(site).map(sqlString).join(', ');
      expect(files.get(siteFile(site))).toContain(
        `ALTER TABLE client ADD CONSTRAINT client_ville_site CHECK (ville IN (${list}));`,
      );
    }
  });

  it('list every client in the coordinator directory with its site and email', () => {
    const sql = files.get('migrations/coordinator/002_client_directory.sql')!;
    expect(insertedIds(sql, 'client_site')).toEqual(SEED_CLIENTS.map((c) => c.id));
    for (const c of SEED_CLIENTS) expect(sql).toContain(`  (${c.id}, '${placement(c.ville).site}', '${c.email}')`);
  });
});

describe('stock placed where demand is (bench/placement.ts)', () => {
  it('makes fewer orders of a client-distributed workload need more than one site than the fixed 50/30/20 split', () => {
    const before = measurePlacement(splitStockFixed, { orders: 400 });
    const after = measurePlacement(splitStock, { orders: 400 });
    expect(before.orders).toBeGreaterThan(100);
    expect(after.multiSite / after.orders).toBeLessThan(before.multiSite / before.orders);
    expect(after.awayFromHome / after.orders).toBeLessThan(before.awayFromHome / before.orders);
  });
});
