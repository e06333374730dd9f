/**
 * Resolvers of a regional subgraph (schema/regions.graphql). Every site runs the same code and
 * answers only from its own fragments: a client, order or stock row held by another site is
 * simply absent here (null or an empty list), and the gateway routes each request to the site
 * that holds the data.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { requireAdmin, requireAuthenticated, requireClientAccess } from '../../lib/auth/access.ts';
import type { Principal } from '../../lib/auth/principal.ts';
import { parseIntegerId, parseUuid } from '../../lib/domain/identifiers.ts';
import { SITE_ENUM_VALUES, siteIdOfCode } from '../../lib/domain/mapping.ts';
import type { Client, Order, OrderLine, StockLevel } from '../../lib/domain/model.ts';
import { TerangaError } from '../../lib/errors.ts';
import { placement, type Placement } from '../../lib/placement.ts';
import { SITES, type SiteId } from '../../lib/sites.ts';
import { StaleCopyError } from './local-copies.ts';
import type { RegionContext } from './context.ts';
import { listClients, restock } from './repository.ts';

export const MAX_RESTOCK_QUANTITY = 1_000_000;

/** @throws TerangaError UNKNOWN_CITY, with the city and the closest known cities in its details */
function placeCity(city: string): Placement {
  return placement(city);
}

interface StockLevelReference {
  readonly productId: unknown;
  /** The raw enum code: representations are not coerced through the `Site` enum. */
  readonly site: unknown;
}

/** A product as the gateway names it; `name` comes along only to route the fetch (schema/regions.graphql). */
interface ProductReference {
  readonly id: unknown;
}

/** A product whose stock this site is asked for. */
interface ProductStock {
  readonly id: number;
}

interface OrderReference {
  readonly id: unknown;
  readonly site: unknown;
}

/** Every warehouse's stock of a product from this site; a copy past its age bound fails the field, not the process. */
async function everyWarehouse(loaders: RegionContext['loaders'], productId: number): Promise<StockLevel[]> {
  try {
    return await loaders.warehouses.load(productId);
  } catch (error) {
    if (error instanceof StaleCopyError) {
      throw new TerangaError('SITE_UNAVAILABLE', error.message, { copyOf: SITES[error.source].code, copyAgeMs: error.ageMs, maxAgeMs: error.maxAgeMs });
    }
    throw error;
  }
}

/** An order is its client's: whoever may act for the client may read it. */
function ownOrder(order: Order | null, principal: Principal): Order | null {
  if (order) requireClientAccess(principal, order.clientId);
  return order;
}

export const regionResolvers: GraphQLResolverMap<RegionContext> = {
  Site: SITE_ENUM_VALUES,

  Query: {
    async warehouseStock(_parent: unknown, args: { productIds: string[] }, { db, stockCopies }: RegionContext) {
      if (args.productIds.length > 100) throw new TerangaError('BAD_USER_INPUT', 'At most 100 products at once');
      const ids = args.productIds.map((raw) => {
        const id = parseIntegerId(raw);
        if (id === null) throw new TerangaError('BAD_USER_INPUT', `Malformed product id "${raw.slice(0, 40)}"`);
        return id;
      });
      if (!stockCopies) throw new TerangaError('INTERNAL_SERVER_ERROR', 'This site keeps no stock copies');
      const figures = await stockCopies.figures(db, ids);
      return figures.map((f) => ({ ...f, productId: String(f.productId), asOf: f.asOf?.toISOString() ?? null }));
    },
    client(_parent: unknown, args: { id: string }, { loaders, principal }: RegionContext) {
      requireClientAccess(principal, args.id);
      const id = parseIntegerId(args.id);
      return id === null ? null : loaders.client.load(id);
    },

    async clients(_parent: unknown, args: { city?: string | null; site?: SiteId | null }, { db, loaders, site, principal }: RegionContext) {
      requireAdmin(principal, 'Listing clients');
      // validated even when the site filter already excludes this site, so the error does not depend on routing
      const city = args.city == null ? undefined : placeCity(args.city);
      if (args.site != null && args.site !== site) return [];
      if (city && city.site !== site) return [];
      // one statement for the list; the clients then serve entity lookups of the same request
      const clients = await listClients(db, site, { city: city?.city });
      for (const client of clients) loaders.client.prime(client.id, client);
      return clients;
    },

    siteForCity(_parent: unknown, args: { city: string }): SiteId {
      return placeCity(args.city).site;
    },

    async order(_parent: unknown, args: { id: string }, { loaders, principal }: RegionContext) {
      // before the lookup, so that an anonymous caller learns nothing about which ids exist
      requireAuthenticated(principal);
      const id = parseUuid(args.id);
      return id === null ? null : ownOrder(await loaders.order.load(id), principal);
    },
  },

  Mutation: {
    async restock(
      _parent: unknown,
      args: { productId: string; site: SiteId; quantity: number },
      { db, loaders, site, principal }: RegionContext,
    ): Promise<StockLevel> {
      requireAdmin(principal, 'Restocking');
      const { quantity } = args;
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_RESTOCK_QUANTITY) {
        throw new TerangaError('BAD_USER_INPUT', `quantity must be a whole number from 1 to ${MAX_RESTOCK_QUANTITY}, got ${quantity}`, {
          argument: 'quantity',
        });
      }
      if (args.site !== site) {
        // the gateway routes by `site`, so only a direct call can land at the wrong warehouse
        throw new TerangaError('BAD_USER_INPUT', `This server holds the stock of ${site}, not of ${args.site}`, {
          argument: 'site',
        });
      }
      const productId = parseIntegerId(args.productId);
      const level = productId === null ? null : await restock(db, site, productId, quantity);
      if (!level) {
        throw new TerangaError('NOT_FOUND', `The ${site} warehouse holds no stock of product ${args.productId}`, {
          productId: args.productId,
        });
      }
      loaders.stock.clear(level.productId).prime(level.productId, level);
      return level;
    },
  },

  Client: {
    // async, so a refusal fails this entity only and not the whole batch it came in
    async __resolveReference(reference: { id: unknown }, { loaders, principal }: RegionContext) {
      requireClientAccess(principal, String(reference.id));
      const id = parseIntegerId(reference.id);
      return id === null ? null : loaders.client.load(id);
    },
    orders(client: Client, _args: unknown, { loaders, principal }: RegionContext) {
      // every way to a Client is checked already; this keeps a future one from leaking orders
      requireClientAccess(principal, client.id);
      return loaders.ordersOfClient.load(client.id);
    },
  },

  StockLevel: {
    __resolveReference(reference: StockLevelReference, { loaders, site }: RegionContext) {
      // another warehouse's stock is not held here: null, without a statement
      if (siteIdOfCode(reference.site) !== site) return null;
      const productId = parseIntegerId(reference.productId);
      return productId === null ? null : loaders.stock.load(productId);
    },
  },

  Product: {
    __resolveReference(reference: ProductReference): ProductStock | null {
      const id = parseIntegerId(reference.id);
      return id === null ? null : { id };
    },
    // one level per site, a warehouse without a row for the product holding none of it: the
    // gateway puts the three sites' lists side by side. Asked for every warehouse (one site
    // answering for all, lib/stock-scope.ts): the three levels, the others from the copies.
    async inventory(product: ProductStock, _args: unknown, { loaders, site, stockScope }: RegionContext): Promise<StockLevel[]> {
      if (stockScope === 'every-warehouse') return everyWarehouse(loaders, product.id);
      return [(await loaders.stock.load(product.id)) ?? { productId: product.id, site, quantity: 0 }];
    },
    async stock(product: ProductStock, _args: unknown, { loaders, stockScope }: RegionContext): Promise<number> {
      if (stockScope === 'every-warehouse') return (await everyWarehouse(loaders, product.id)).reduce((sum, level) => sum + level.quantity, 0);
      return (await loaders.stock.load(product.id))?.quantity ?? 0;
    },
  },

  Order: {
    async __resolveReference(reference: OrderReference, { loaders, site, principal }: RegionContext) {
      requireAuthenticated(principal);
      if (siteIdOfCode(reference.site) !== site) return null;
      const id = parseUuid(reference.id);
      return id === null ? null : ownOrder(await loaders.order.load(id), principal);
    },
    client(order: Order, _args: unknown, { loaders }: RegionContext) {
      return loaders.client.load(order.clientId);
    },
    lines(order: Order, _args: unknown, { loaders }: RegionContext) {
      return loaders.linesOfOrder.load(order.id);
    },
    payment(order: Order, _args: unknown, { loaders }: RegionContext) {
      return loaders.paymentOfOrder.load(order.id);
    },
    createdAt(order: Order): string {
      return order.createdAt.toISOString();
    },
  },

  OrderLine: {
    product(line: OrderLine) {
      return { __typename: 'Product', id: String(line.productId) };
    },
  },
};
