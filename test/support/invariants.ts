/**
 * Whole-cluster invariants the order tests assert after every scenario.
 */
import { expect } from 'vitest';
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { SEED_PRODUCTS } from '../../seed/products.ts';
import { splitStock } from '../../seed/stock-split.ts';
import { read } from './cluster.ts';

/** For every (site, product): seed quantity = current quantity − Σ ledger deltas; never negative. */
export async function expectStockConserved(): Promise<void> {
  for (const site of SITE_IDS) {
    const rows = await read<{ produit_id: number; quantite: number; moved: number }>(
      site,
      `SELECT s.produit_id, s.quantite, COALESCE(sum(m.delta), 0)::int AS moved
       FROM stock s LEFT JOIN mouvement_stock m ON m.produit_id = s.produit_id
       GROUP BY s.produit_id, s.quantite`,
    );
    const seed = new Map(SEED_PRODUCTS.map((p) => [p.id, splitStock(p.stock, p.id)[site]]));
    for (const row of rows) {
      if (!seed.has(row.produit_id)) continue;
      expect(row.quantite, `stock of ${row.produit_id} at ${site}`).toBeGreaterThanOrEqual(0);
      expect(row.quantite - row.moved, `conservation of ${row.produit_id} at ${site}`).toBe(seed.get(row.produit_id));
    }
  }
}

export async function preparedTransactions(): Promise<string[]> {
  const servers = [...SITE_IDS, 'coordinator', 'products'];
  const all = await Promise.all(servers.map((s) => read<{ gid: string }>(s, 'SELECT gid FROM pg_prepared_xacts')));
  return all.flat().map((r) => r.gid);
}

/**
 * Nothing stays prepared anywhere. The coordinator answers a committed order before it sends the
 * other sites their COMMIT PREPARED (the decision is durable by then), so right after an answer a
 * branch may still be prepared for a few milliseconds, longer on a loaded machine: waited for.
 */
export async function expectNothingPrepared(timeoutMs = 15_000): Promise<void> {
  await expect.poll(preparedTransactions, { timeout: timeoutMs, interval: 100 }).toEqual([]);
}

/**
 * All-or-nothing: every order's lines match exactly the stock its warehouses gave out for it,
 * and no warehouse gave out stock for an order that does not exist.
 */
export async function expectOrdersAtomic(): Promise<void> {
  const lines = new Map<string, number>(); // `${order}|${site}|${product}` → quantity
  const orders = new Set<string>();
  for (const site of SITE_IDS) {
    for (const o of await read<{ id: string; statut: string }>(site, 'SELECT id, statut FROM commande')) orders.add(o.id);
    for (const l of await read<{ commande_id: string; site: string; produit_id: number; quantite: number }>(site, 'SELECT commande_id, site, produit_id, quantite FROM ligne_commande')) {
      const key = `${l.commande_id}|${l.site}|${l.produit_id}`;
      lines.set(key, (lines.get(key) ?? 0) + l.quantite);
    }
  }
  const given = new Map<string, number>();
  for (const site of SITE_IDS) {
    const moves = await read<{ commande_id: string; produit_id: number; out: number }>(
      site,
      `SELECT commande_id, produit_id, -sum(delta)::int AS out FROM mouvement_stock
       WHERE motif = 'COMMANDE' GROUP BY commande_id, produit_id`,
    );
    for (const m of moves) {
      expect(orders.has(m.commande_id), `stock given out at ${site} for missing order ${m.commande_id}`).toBe(true);
      given.set(`${m.commande_id}|${site}|${m.produit_id}`, m.out);
    }
  }
  expect(Object.fromEntries(given)).toEqual(Object.fromEntries(lines));
}

export async function stockAt(site: SiteId, productId: number): Promise<number> {
  const [row] = await read<{ quantite: number }>(site, 'SELECT quantite FROM stock WHERE produit_id = $1', [productId]);
  return row!.quantite;
}

/** Row counts and checksums of every table that matters, to prove a refused request changed nothing. */
export async function fingerprint(): Promise<string> {
  // the payment relays finish what earlier orders queued first: their work is not this request's
  for (let i = 0; i < 150; i++) {
    const pending = await Promise.all(SITE_IDS.map((site) => read<{ n: number }>(site, "SELECT count(*)::int AS n FROM sortie_paiement WHERE statut = 'PENDING'")));
    if (pending.every((r) => r[0]!.n === 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // all at once, on connections kept open: the file that fingerprints around every request waits for the slowest, not the sum
  const sites = SITE_IDS.map(async (site) => {
    const [row] = await read<{ f: string }>(
      site,
      `SELECT concat_ws('|',
         (SELECT md5(string_agg(produit_id || ':' || quantite, ',' ORDER BY produit_id)) FROM stock),
         (SELECT count(*) FROM client), (SELECT md5(string_agg(id || nom || ville || email, ',' ORDER BY id)) FROM client),
         (SELECT count(*) FROM commande), (SELECT md5(string_agg(id || statut, ',' ORDER BY id)) FROM commande),
         (SELECT count(*) FROM ligne_commande), (SELECT count(*) FROM paiement),
         (SELECT md5(string_agg(commande_id || statut, ',' ORDER BY commande_id)) FROM paiement),
         (SELECT count(*) FROM mouvement_stock), (SELECT count(*) FROM decision_2pc), (SELECT count(*) FROM pg_prepared_xacts)) AS f`,
    );
    return `${site}=${row!.f}`;
  });
  const directory = read<{ f: string }>('coordinator', `SELECT concat_ws('|', count(*), md5(string_agg(client_id || site || email, ',' ORDER BY client_id))) AS f FROM client_site`).then(
    ([row]) => `directory=${row!.f}`,
  );
  const coordinatorPrepared = read<{ f: string }>('coordinator', 'SELECT count(*)::text AS f FROM pg_prepared_xacts').then(([row]) => `coordinator-prepared=${row!.f}`);
  const products = read<{ f: string }>(
    'products',
    `SELECT concat_ws('|', count(*), md5(string_agg(id || nom || coalesce(description, '') || prix, ',' ORDER BY id))) AS f FROM produit`,
  ).then(([row]) => `products=${row!.f}`);
  const parts = await Promise.all([...sites, directory, coordinatorPrepared, products]);
  return parts.join('\n');
}
