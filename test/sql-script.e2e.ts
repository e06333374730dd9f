/**
 * Task 3c: the SQL script that runs an order across the sites from the coordinator with dblink.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { connectionString, serverByName } from '../lib/topology.ts';
import { sql, topology } from './support/cluster.ts';
import { expectOrdersAtomic, expectStockConserved, fingerprint, preparedTransactions, stockAt } from './support/invariants.ts';

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
    expect(await preparedTransactions()).toEqual([]);
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
