/**
 * Per-request DataLoaders of the products subgraph: every product looked up while resolving one
 * request (root fields and `_entities` alike) is read with a single statement.
 */
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { ProductsDatabase } from '../../lib/db/tables.ts';
import type { Product } from '../../lib/domain/model.ts';
import { findProductsByIds } from './repository.ts';

export interface ProductsLoaders {
  /** A product by id, null when unknown. */
  readonly product: DataLoader<number, Product | null>;
}

export function createProductsLoaders(db: Kysely<ProductsDatabase>): ProductsLoaders {
  return {
    product: new DataLoader(async (ids) => {
      const found = new Map((await findProductsByIds(db, ids)).map((p) => [p.id, p]));
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
