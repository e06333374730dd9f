/**
 * Waiting for a site's copies of the other warehouses' stock to catch up with those warehouses.
 * A test that reads the catalogue right after a write, and compares two reads or a read with the
 * warehouses, waits on this condition first: logical replication applies the write a few
 * milliseconds later, or seconds later on a loaded machine.
 */
import { SITES, siteByCode, SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { graphql, sql } from './cluster.ts';

const STOCK = 'query($ids: [ID!]!, $at: Site) { warehouseStock(productIds: $ids, at: $at) { productId site quantity live } }';

/** Resolves once `at`'s copies show every warehouse's live quantity of `productIds`. */
export async function copiesCaughtUp(productIds: readonly number[], at: SiteId = 'dakar', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let behind: string[] = [];
  for (;;) {
    const live = new Map<string, number>();
    for (const site of SITE_IDS) {
      const rows = await sql<{ produit_id: number; quantite: number }>(site, 'SELECT produit_id, quantite FROM stock WHERE produit_id = ANY($1::int[])', [productIds]);
      for (const r of rows) live.set(`${site}/${r.produit_id}`, r.quantite);
    }
    const answer = await graphql<{ warehouseStock: { productId: string; site: string; quantity: number; live: boolean }[] }>(STOCK, { ids: productIds.map(String), at: SITES[at].code });
    const figures = answer.data?.warehouseStock ?? [];
    behind = figures
      .map((f) => ({ ...f, item: `${siteByCode(f.site)?.id}/${f.productId}` }))
      .filter((f) => !f.live && f.quantity !== (live.get(f.item) ?? 0))
      .map((f) => `${f.item}: copy ${f.quantity}, warehouse ${live.get(f.item) ?? 0}`);
    if (!answer.errors && figures.length > 0 && behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${at}'s copies still behind after ${timeoutMs / 1000} s: ${behind.join('; ') || JSON.stringify(answer.errors)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resolves once every other site's copy of `stopped`'s warehouse holds no heartbeat: a stopping
 * region removes it and waits at most 2 s for its subscribers to apply that, and until they have,
 * a site may still answer for the stopped warehouse from a copy within its age bound.
 */
export async function copiesNoticedStop(stopped: SiteId, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query = 'query($ids: [ID!]!, $at: Site) { warehouseStock(productIds: $ids, at: $at) { site asOf } }';
  for (const at of SITE_IDS.filter((s) => s !== stopped)) {
    for (;;) {
      const answer = await graphql<{ warehouseStock: { site: string; asOf: string | null }[] }>(query, { ids: ['101'], at: SITES[at].code });
      const figure = answer.data?.warehouseStock.find((f) => f.site === SITES[stopped].code);
      if (figure && figure.asOf === null) break;
      if (Date.now() > deadline) throw new Error(`${at}'s copy of ${stopped} still shows a heartbeat after ${timeoutMs / 1000} s: ${JSON.stringify(answer)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
