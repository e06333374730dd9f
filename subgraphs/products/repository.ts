/**
 * SQL of the products database (PRODUIT_INFO). Plain functions taking the kysely database (or a
 * transaction) first; they return domain objects, mapped in lib/domain/mapping.ts.
 */
import type { Kysely } from 'kysely';
import type { ProductsDatabase } from '../../lib/db/tables.ts';
import { productFromRow } from '../../lib/domain/mapping.ts';
import type { Product } from '../../lib/domain/model.ts';

/** The products among `ids`, in no particular order; unknown ids are simply absent. */
export async function findProductsByIds(db: Kysely<ProductsDatabase>, ids: readonly number[]): Promise<Product[]> {
  if (ids.length === 0) return [];
  // one statement whatever the batch size: `= ANY($1)` binds the whole array as one parameter
  const rows = await db
    .selectFrom('produit')
    .select(['id', 'nom', 'description', 'prix'])
    .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .execute();
  return rows.map(productFromRow);
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

/** One page of products ordered by id. */
export async function listProducts(db: Kysely<ProductsDatabase>, page: Page): Promise<Product[]> {
  const rows = await db
    .selectFrom('produit')
    .select(['id', 'nom', 'description', 'prix'])
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(productFromRow);
}
