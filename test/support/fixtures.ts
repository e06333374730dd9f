/**
 * Data of a test file's own, so that a file depends neither on the order the files run in nor on
 * what another file did to the seed rows: clients registered through the public API (as a customer
 * signs up: the directory and the site's fragment, in one two-phase commit), and products with
 * stock at chosen sites, written to the products database and the sites' stock fragments and
 * removed again by the file.
 */
import { randomUUID } from 'node:crypto';
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { graphql, sql } from './cluster.ts';

export interface OwnClient {
  readonly id: string;
  readonly site: SiteId;
  readonly email: string;
}

/** A new client living in `city` (the site follows from the city, as for any sign-up). */
export async function ownClient(city: string, label = 'fixture'): Promise<OwnClient> {
  const email = `${label}.${randomUUID().slice(0, 8)}@example.com`;
  const response = await graphql<{ registerClient: { id: string } }>('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }', {
    i: { name: `Client ${label}`, city, email },
  });
  if (!response.data?.registerClient) throw new Error(`client fixture not registered: ${JSON.stringify(response.errors)}`);
  const id = response.data.registerClient.id;
  const [row] = await sql<{ site: SiteId }>('coordinator', 'SELECT site FROM client_site WHERE client_id = $1', [Number(id)]);
  return { id, site: row!.site, email };
}

export interface OwnProduct {
  readonly id: number;
  /** Removes the product, its stock rows and stock movements; refuses if an order line names it. */
  remove(): Promise<void>;
}

/**
 * A new product (id from the products database's sequence, never a seed id) with the given stock
 * at each site (0 where not given). The file removes it when done (`remove`), after cancelling or
 * deleting whatever order it placed on it.
 */
export async function ownProduct(stock: Partial<Record<SiteId, number>>, prix = 10_000, label = 'fixture'): Promise<OwnProduct> {
  const [row] = await sql<{ id: number }>('products', 'INSERT INTO produit (nom, description, prix) VALUES ($1, $2, $3) RETURNING id', [
    `Produit ${label}`,
    `test fixture ${label}`,
    prix,
  ]);
  const id = row!.id;
  for (const site of SITE_IDS) await sql(site, 'INSERT INTO stock (produit_id, quantite) VALUES ($1, $2)', [id, stock[site] ?? 0]);
  return {
    id,
    async remove() {
      for (const site of SITE_IDS) {
        const lines = await sql<{ n: number }>(site, 'SELECT count(*)::int AS n FROM ligne_commande WHERE produit_id = $1', [id]);
        if (lines[0]!.n > 0) throw new Error(`product fixture ${id} is named by ${lines[0]!.n} order line(s) at ${site}: remove them first`);
      }
      for (const site of SITE_IDS) {
        await sql(site, 'DELETE FROM mouvement_stock WHERE produit_id = $1', [id]);
        await sql(site, 'DELETE FROM stock WHERE produit_id = $1', [id]);
      }
      await sql('products', 'DELETE FROM produit WHERE id = $1', [id]);
    },
  };
}
