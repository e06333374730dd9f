/**
 * Resolvers of the products subgraph (schema/products.graphql): a product's general information.
 * Stock quantities belong to the regional sites, which resolve `Product.inventory` and `stock`.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { appliedLimit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/domain/catalogue-page.ts';
import { parseIntegerId } from '../../lib/domain/identifiers.ts';
import type { Product } from '../../lib/domain/model.ts';
import { TerangaError } from '../../lib/errors.ts';
import type { ProductsContext } from './context.ts';
import { listProducts, type Page } from './repository.ts';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

interface ProductReference {
  readonly id: unknown;
}

function pageOf(args: { limit?: number | null; offset?: number | null }): Page {
  const limit = args.limit ?? DEFAULT_PAGE_SIZE;
  const offset = args.offset ?? 0;
  if (limit < 0) throw new TerangaError('BAD_USER_INPUT', `limit must not be negative, got ${limit}`, { argument: 'limit' });
  if (offset < 0) throw new TerangaError('BAD_USER_INPUT', `offset must not be negative, got ${offset}`, { argument: 'offset' });
  return { limit: appliedLimit(limit), offset };
}

export const productsResolvers: GraphQLResolverMap<ProductsContext> = {
  Query: {
    product(_parent: unknown, args: { id: string }, { loaders }: ProductsContext) {
      const id = parseIntegerId(args.id);
      return id === null ? null : loaders.product.load(id);
    },
    async products(_parent: unknown, args: { limit?: number | null; offset?: number | null }, { db, loaders }: ProductsContext) {
      const products = await listProducts(db, pageOf(args));
      // entity lookups later in the same request then cost no statement
      for (const product of products) loaders.product.prime(product.id, product);
      return products;
    },
  },

  Product: {
    __resolveReference(reference: ProductReference, { loaders }: ProductsContext): Promise<Product | null> | null {
      const id = parseIntegerId(reference.id);
      return id === null ? null : loaders.product.load(id);
    },
  },
};
