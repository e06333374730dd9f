/**
 * Waiting for a site's copies of the other warehouses' stock to catch up with those warehouses.
 * A test that reads the catalogue right after a write, and compares two reads or a read with the
 * warehouses, waits on this condition first: logical replication applies the write a few
 * milliseconds later, or seconds later on a loaded machine.
 */
import { SITES, siteByCode, SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { graphql, sql } from './cluster.ts';
import { until } from './until.ts';

const STOCK = 'query($ids: [ID!]!, $at: Site) { warehouseStock(productIds: $ids, at: $at) { productId site quantity live asOf } }';
type Figure = { productId: string; site: string; quantity: number; live: boolean; asOf: string | null };

async function figuresAt(at: SiteId, productIds: readonly number[]): Promise<Figure[] | null> {
  const answer = await graphql<{ warehouseStock: Figure[] }>(STOCK, { ids: productIds.map(String), at: SITES[at].code });
  return answer.errors ? null : (answer.data?.warehouseStock ?? null);
}

/** Resolves once `at`'s copies show every warehouse's live quantity of `productIds` (30 s at most). */
export async function copiesCaughtUp(productIds: readonly number[], at: SiteId = 'dakar'): Promise<void> {
  let behind: string[] = [];
  const caughtUp = async () => {
    const live = new Map<string, number>();
    for (const site of SITE_IDS) {
      const rows = await sql<{ produit_id: number; quantite: number }>(site, 'SELECT produit_id, quantite FROM stock WHERE produit_id = ANY($1::int[])', [productIds]);
      for (const r of rows) live.set(`${site}/${r.produit_id}`, r.quantite);
    }
    const figures = await figuresAt(at, productIds);
    behind = (figures ?? [])
      .map((f) => ({ ...f, item: `${siteByCode(f.site)?.id}/${f.productId}` }))
      .filter((f) => !f.live && f.quantity !== (live.get(f.item) ?? 0))
      .map((f) => `${f.item}: copy ${f.quantity}, warehouse ${live.get(f.item) ?? 0}`);
    return figures !== null && figures.length > 0 && behind.length === 0;
  };
  await until(`${at}'s copies to catch up with the warehouses`, caughtUp).catch((error: Error) => {
    throw new Error(`${error.message}: ${behind.join('; ')}`);
  });
}

/**
 * Resolves once every other site's copy of `stopped`'s warehouse holds no heartbeat (30 s at most):
 * a stopping region removes it and waits at most 2 s for its subscribers to apply that, and until
 * they have, a site may still answer for the stopped warehouse from a copy within its age bound.
 */
export async function copiesNoticedStop(stopped: SiteId): Promise<void> {
  for (const at of SITE_IDS.filter((s) => s !== stopped)) {
    await until(`${at}'s copy of ${stopped} to drop its heartbeat`, async () => {
      const figure = (await figuresAt(at, [101]))?.find((f) => f.site === SITES[stopped].code);
      return figure !== undefined && figure.asOf === null;
    });
  }
}
