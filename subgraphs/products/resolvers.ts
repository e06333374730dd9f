/**
 * Resolvers of the products subgraph (schema/products.graphql): a product's general information.
 * Stock quantities belong to the regional sites: this subgraph only names the StockLevel entities
 * (`inventory`) and sums the quantities the gateway brings back (`stock`, via @requires).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parseIntegerId } from '../../lib/domain/identifiers.ts';
import { SITE_ENUM_VALUES } from '../../lib/domain/mapping.ts';
import type { Product } from '../../lib/domain/model.ts';
import { TerangaError } from '../../lib/errors.ts';
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import type { ProductsContext } from './context.ts';
import { listProducts, type Page } from './repository.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** What the gateway sends for `stock`: the quantities of `inventory`, one entry per site. */
type RequiredInventory = readonly ({ readonly quantity?: number | null } | null)[];

interface ProductReference {
  readonly id: unknown;
  readonly inventory?: RequiredInventory | null;
}

/** A product, with the `inventory { quantity }` of its representation when it was resolved as an entity. */
type ProductEntity = Product & { readonly requiredInventory?: RequiredInventory | null };

/** A StockLevel entity as this subgraph knows it: its key only. */
interface StockLevelReference {
  readonly productId: number;
  readonly site: SiteId;
}

function pageOf(args: { limit?: number | null; offset?: number | null }): Page {
  const limit = args.limit ?? DEFAULT_PAGE_SIZE;
  const offset = args.offset ?? 0;
  if (limit < 0) throw new TerangaError('BAD_USER_INPUT', `limit must not be negative, got ${limit}`, { argument: 'limit' });
  if (offset < 0) throw new TerangaError('BAD_USER_INPUT', `offset must not be negative, got ${offset}`, { argument: 'offset' });
  return { limit: Math.min(limit, MAX_PAGE_SIZE), offset };
}

export const productsResolvers: GraphQLResolverMap<ProductsContext> = {
  Site: SITE_ENUM_VALUES,

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
    async __resolveReference(reference: ProductReference, { loaders }: ProductsContext): Promise<ProductEntity | null> {
      const id = parseIntegerId(reference.id);
      const product = id === null ? null : await loaders.product.load(id);
      // kept apart from `inventory`, which this subgraph resolves to entity keys
      return product && { ...product, requiredInventory: reference.inventory };
    },
    inventory(product: Product): StockLevelReference[] {
      return SITE_IDS.map((site) => ({ productId: product.id, site }));
    },
    stock(product: ProductEntity): number | null {
      const levels = product.requiredInventory;
      // no quantities: the field was asked for directly, not through the gateway
      if (!levels) return null;
      let total = 0;
      for (const level of levels) {
        // a warehouse that could not be reached makes the total unknown, not smaller
        if (typeof level?.quantity !== 'number') return null;
        total += level.quantity;
      }
      return total;
    },
  },
};
