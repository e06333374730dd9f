/**
 * An unsharded reference for the public read API: one GraphQL server, no federation and no
 * routing, answering the gateway's own public schema from one node that sees every fragment at
 * once — the coordinator's global views over every site (postgres_fdw: `client_fragment`,
 * `stock_global`, `commande`, `paiement`, and each site's `ligne_commande`) and the products
 * database. It implements the read contract as the schema documents it (lists in site order,
 * then as each subgraph orders them), so the differential test can ask the routed gateway and
 * this reference the same queries over the same data.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import DataLoader from 'dataloader';
import { GraphQLError, type GraphQLFieldResolver } from 'graphql';
import pg from 'pg';
import { parseIntegerId, parseUuid } from '../../lib/domain/identifiers.ts';
import { orderStatusOf, paymentStatusOf } from '../../lib/domain/mapping.ts';
import { TerangaError } from '../../lib/errors.ts';
import { placement } from '../../lib/placement.ts';
import { SITE_IDS, SITES, siteByCode, type SiteId } from '../../lib/sites.ts';
import { connectionString } from '../../lib/topology.ts';
import { DEFAULT_QUERY_LIMITS, queryLimits } from '../../gateway/query-limits.ts';
import { serverNamed, topology } from './cluster.ts';

type Row = Record<string, unknown>;
/**
 * Per request, the rows of every parent a field asks for, read in one statement (a page of 50
 * products, or of every client with their orders, would otherwise be hundreds of reads over the
 * foreign tables): keyed by the parent's id, filtered by its fragment where the view spans sites.
 */
interface Context {
  readonly stock: DataLoader<unknown, Row[]>;
  readonly ordersOfClient: DataLoader<unknown, Row[]>;
  readonly linesOfOrder: DataLoader<unknown, Row[]>;
  readonly paymentsOfOrder: DataLoader<unknown, Row[]>;
  readonly clientsById: DataLoader<unknown, Row[]>;
  readonly productsById: DataLoader<unknown, Row[]>;
}
type Resolver = GraphQLFieldResolver<Row, Context, Record<string, unknown>>;

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
const siteOrder = `CASE site WHEN 'dakar' THEN 0 WHEN 'thies' THEN 1 ELSE 2 END`;
const LINES = SITE_IDS.map((site) => `SELECT *, '${site}'::text AS fragment FROM fdw_${site.replace('-', '_')}.ligne_commande`).join(' UNION ALL ');

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

function placeCity(city: string) {
  try {
    return placement(city);
  } catch (error) {
    // the same code and details as the regions give (lib/placement.ts)
    if (error instanceof TerangaError && error.code === 'UNKNOWN_CITY') throw new GraphQLError(error.message, { extensions: { code: error.code } });
    throw error;
  }
}

const code = (site: unknown) => SITES[site as SiteId].code;

export interface Reference {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the reference on a free port, serving `typeDefs` (the gateway's public schema, printed from introspection). */
export async function startReference(typeDefs: string): Promise<Reference> {
  const pool = new pg.Pool({ connectionString: connectionString(topology, serverNamed('coordinator')), max: 4 });
  const rows = async (text: string, params: unknown[] = []) => (await pool.query<Row>(text, params)).rows;
  const one = async (text: string, params: unknown[] = []) => (await rows(text, params))[0] ?? null;

  const client = (row: Row | null) => row && { id: String(row.id), name: row.nom, city: row.ville, email: row.email, site: code(row.site), _site: row.site, _id: row.id };
  const product = (row: Row | null) => row && { id: String(row.id), name: row.nom, description: row.description, price: row.prix, _id: row.id };
  const order = (row: Row | null) =>
    row && {
      id: row.id,
      site: code(row.site),
      status: orderStatusOf(String(row.statut)),
      total: Number(row.total),
      createdAt: (row.created_at as Date).toISOString(),
      _site: row.site,
      _client: row.client_id,
    };
  /** The rows of `text` (which takes the keys as $1) grouped by the column `by`, one group per key. */
  const groupedBy = (text: string, by: string) => async (keys: readonly unknown[]) => {
    const found = await rows(text, [keys]);
    return keys.map((key) => found.filter((row) => row[by] === key));
  };
  const loaders = (): Context => ({
    stock: new DataLoader(groupedBy('SELECT produit_id, site, quantite FROM stock_global WHERE produit_id = ANY($1::int[])', 'produit_id')),
    ordersOfClient: new DataLoader(groupedBy('SELECT * FROM commande WHERE client_id = ANY($1::int[]) ORDER BY created_at DESC, id', 'client_id')),
    linesOfOrder: new DataLoader(groupedBy(`SELECT * FROM (${LINES}) l WHERE commande_id = ANY($1::uuid[]) ORDER BY produit_id, site`, 'commande_id')),
    paymentsOfOrder: new DataLoader(groupedBy('SELECT * FROM paiement WHERE commande_id = ANY($1::uuid[])', 'commande_id')),
    clientsById: new DataLoader(groupedBy('SELECT * FROM client_fragment WHERE id = ANY($1::int[])', 'id')),
    productsById: new DataLoader(groupedBy('SELECT id, nom, description, prix FROM fdw_products.produit WHERE id = ANY($1::int[])', 'id')),
  });

  const resolvers: Record<string, Record<string, Resolver>> = {
    Query: {
      product: async (_, { id }, { productsById }) => {
        const parsed = parseIntegerId(id);
        return parsed === null ? null : product((await productsById.load(parsed))[0] ?? null);
      },
      products: async (_, args) => {
        const limit = (args.limit as number | null | undefined) ?? DEFAULT_PAGE_SIZE;
        const offset = (args.offset as number | null | undefined) ?? 0;
        if (limit < 0) throw badInput(`limit must not be negative, got ${limit}`);
        if (offset < 0) throw badInput(`offset must not be negative, got ${offset}`);
        const page = await rows('SELECT id, nom, description, prix FROM fdw_products.produit ORDER BY id LIMIT $1 OFFSET $2', [Math.min(limit, MAX_PAGE_SIZE), offset]);
        return page.map(product);
      },
      client: async (_, { id }) => {
        const parsed = parseIntegerId(id);
        return parsed === null ? null : client(await one('SELECT * FROM client_fragment WHERE id = $1', [parsed]));
      },
      clients: async (_, args) => {
        const city = args.city == null ? undefined : placeCity(String(args.city));
        const site = args.site == null ? undefined : siteByCode(String(args.site))?.id;
        if (city && site && city.site !== site) return [];
        const where: string[] = [];
        const params: unknown[] = [];
        if (site ?? city) where.push(`site = $${params.push(site ?? city!.site)}`);
        if (city) where.push(`ville = $${params.push(city.city)}`);
        const list = await rows(`SELECT * FROM client_fragment ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${siteOrder}, id`, params);
        return list.map(client);
      },
      siteForCity: (_, { city }) => code(placeCity(String(city)).site),
      order: async (_, { id }) => {
        const parsed = parseUuid(id);
        return parsed === null ? null : order(await one('SELECT * FROM commande WHERE id = $1', [parsed]));
      },
    },
    Product: {
      stock: async (p, _, { stock }) => (await stock.load(p._id)).reduce((sum, l) => sum + Number(l.quantite), 0),
      inventory: async (p, _, { stock }) => {
        const levels = await stock.load(p._id);
        return SITE_IDS.map((site) => ({ productId: p.id, site: code(site), quantity: levels.find((l) => l.site === site)?.quantite ?? 0 }));
      },
    },
    Client: {
      orders: async (c, _, { ordersOfClient }) => (await ordersOfClient.load(c._id)).filter((o) => o.site === c._site).map(order),
    },
    Order: {
      client: async (o, _, { clientsById }) => client((await clientsById.load(o._client)).find((c) => c.site === o._site) ?? null),
      lines: async (o, _, { linesOfOrder }) =>
        (await linesOfOrder.load(o.id)).filter((l) => l.fragment === o._site).map((l) => ({
          quantity: l.quantite,
          unitPrice: l.prix_unitaire,
          site: code(l.site),
          _product: l.produit_id,
        })),
      payment: async (o, _, { paymentsOfOrder }) => {
        const p = (await paymentsOfOrder.load(o.id)).find((row) => row.site === o._site);
        return p && { status: paymentStatusOf(String(p.statut)), amount: Number(p.montant), method: p.methode, reference: p.reference };
      },
    },
    OrderLine: {
      product: async (l, _, { productsById }) => product((await productsById.load(l._product))[0] ?? null),
    },
  };
  // the same limits as the gateway, so a query it refuses is refused here too
  const limits = queryLimits(DEFAULT_QUERY_LIMITS, { development: true });
  const server = new ApolloServer<Context>({ typeDefs, resolvers, validationRules: limits.validationRules, parseOptions: limits.parseOptions, plugins: [...limits.plugins] });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async () => loaders() });
  return {
    url,
    async stop() {
      await server.stop();
      await pool.end();
    },
  };
}
