import type { Kysely } from 'kysely';
import type { ProductsDatabase } from '../../lib/db/tables.ts';
import type { ProductsLoaders } from './loaders.ts';

/** What every resolver of the products subgraph receives; built afresh for each request. */
export interface ProductsContext {
  readonly db: Kysely<ProductsDatabase>;
  readonly loaders: ProductsLoaders;
}
