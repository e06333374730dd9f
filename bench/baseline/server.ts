/**
 * The single-node baseline the benchmarks compare the distributed platform with: one Apollo
 * Server (no federation, no routing) over one PostgreSQL server holding the same data in
 * unfragmented tables. Same queries, same batching (DataLoader), same order semantics (lock the
 * stock rows, decrement, write the order, its lines and payment) in one local transaction.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import DataLoader from 'dataloader';
import express from 'express';
import pg from 'pg';
import { findPgBinaries } from '../../cluster/pg-binaries.ts';
import { chownTree, serverIdentity } from '../../cluster/os-user.ts';
import { initTemplate, startServer, stopServer, writeServerConfig } from '../../cluster/postgres-server.ts';
import { warehouseOrderFrom } from '../../lib/placement.ts';
import { SITES, type SiteId } from '../../lib/sites.ts';
import { connectionString, type Topology } from '../../lib/topology.ts';
import { onPrimary } from '../servers.ts';

const typeDefs = `#graphql
  enum Site { DAKAR THIES SAINT_LOUIS }
  type StockLevel { site: Site! quantity: Int! }
  type Product { id: ID! name: String! description: String price: Int! stock: Int inventory: [StockLevel] }
  type Order { id: ID! total: Int! }
  type OrderError { code: String! message: String! }
  type PlaceOrderResult { order: Order error: OrderError }
  input OrderItemInput { productId: ID! quantity: Int! }
  input PlaceOrderInput { clientId: ID! items: [OrderItemInput!]! }
  type Query { products(limit: Int, offset: Int): [Product!]! }
  type Mutation { placeOrder(input: PlaceOrderInput!): PlaceOrderResult! }
`;

interface ProductRow { id: number; nom: string; description: string | null; prix: number }
interface StockRow { produit_id: number; site: SiteId; quantite: number }
interface Context { stock: DataLoader<number, StockRow[]> }

export interface Baseline {
  readonly url: string;
  stop(): Promise<void>;
}

/** Copies the catalogue, stock and clients from the running cluster into the baseline database. */
async function loadData(topology: Topology, baseline: pg.Pool): Promise<void> {
  // the coordinator's current primary: after a failover, its promoted standby
  await onPrimary(topology, 'coordinator', async (coordinator) => {
    const produits = (await coordinator.query<ProductRow>('SELECT id, nom, description, prix FROM fdw_products.produit')).rows;
    const stock = (await coordinator.query<StockRow>('SELECT produit_id, site, quantite FROM stock_global')).rows;
    const clients = (await coordinator.query('SELECT id, nom, ville, email FROM client')).rows as { id: number; nom: string; ville: string; email: string }[];
    await baseline.query('INSERT INTO produit SELECT * FROM jsonb_to_recordset($1) AS x(id integer, nom text, description text, prix integer)', [JSON.stringify(produits)]);
    await baseline.query('INSERT INTO stock SELECT * FROM jsonb_to_recordset($1) AS x(produit_id integer, site text, quantite integer)', [JSON.stringify(stock)]);
    await baseline.query('INSERT INTO client SELECT * FROM jsonb_to_recordset($1) AS x(id integer, nom text, ville text, email text)', [JSON.stringify(clients)]);
  });
}

async function placeOrder(pool: pg.Pool, input: { clientId: string; items: { productId: string; quantity: number }[] }, clientSites: Map<number, SiteId>) {
  const clientId = Number(input.clientId);
  const site = clientSites.get(clientId);
  if (!site) return { order: null, error: { code: 'UNKNOWN_CLIENT', message: 'unknown client' } };
  const ids = input.items.map((i) => Number(i.productId)).sort((a, b) => a - b);
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    const prices = new Map((await db.query<{ id: number; prix: number }>('SELECT id, prix FROM produit WHERE id = ANY($1)', [ids])).rows.map((r) => [r.id, r.prix]));
    const rows = (await db.query<StockRow>('SELECT produit_id, site, quantite FROM stock WHERE produit_id = ANY($1) ORDER BY produit_id, site FOR UPDATE', [ids])).rows;
    const warehouses = warehouseOrderFrom(site);
    const lines: { productId: number; site: SiteId; quantity: number }[] = [];
    for (const item of input.items) {
      let remaining = item.quantity;
      for (const w of warehouses) {
        const row = rows.find((r) => r.produit_id === Number(item.productId) && r.site === w);
        const take = Math.min(remaining, row?.quantite ?? 0);
        if (take > 0) {
          lines.push({ productId: Number(item.productId), site: w, quantity: take });
          remaining -= take;
        }
      }
      if (remaining > 0) {
        await db.query('ROLLBACK');
        return { order: null, error: { code: 'OUT_OF_STOCK', message: `product ${item.productId}` } };
      }
    }
    const id = randomUUID();
    const total = lines.reduce((sum, l) => sum + l.quantity * (prices.get(l.productId) ?? 0), 0);
    const values = JSON.stringify(lines);
    await db.query(
      `UPDATE stock SET quantite = stock.quantite - x.quantity
       FROM jsonb_to_recordset($1) AS x("productId" integer, site text, quantity integer)
       WHERE stock.produit_id = x."productId" AND stock.site = x.site`, [values]);
    await db.query(
      `INSERT INTO mouvement_stock (produit_id, site, delta, commande_id)
       SELECT "productId", site, -quantity, $2 FROM jsonb_to_recordset($1) AS x("productId" integer, site text, quantity integer)`, [values, id]);
    await db.query('INSERT INTO commande (id, client_id, statut, total) VALUES ($1, $2, $3, $4)', [id, clientId, 'CONFIRMEE', total]);
    await db.query(
      `INSERT INTO ligne_commande (commande_id, produit_id, site, quantite, prix_unitaire)
       SELECT $2, "productId", site, quantity, (SELECT prix FROM produit WHERE id = "productId")
       FROM jsonb_to_recordset($1) AS x("productId" integer, site text, quantity integer)`, [values, id]);
    await db.query('INSERT INTO paiement (commande_id, montant, methode, statut, reference) VALUES ($1, $2, $3, $4, $5)', [id, total, 'CASH_ON_DELIVERY', 'CAPTURE', `BASE-${id}`]);
    await db.query('COMMIT');
    return { order: { id, total }, error: null };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    db.release();
  }
}

export async function startBaseline(topology: Topology, clientSites: Map<number, SiteId>): Promise<Baseline> {
  const bins = findPgBinaries();
  const who = serverIdentity();
  const dir = path.join(topology.dataDir, 'baseline');
  // a run that was interrupted left its server running: stop it before taking its port again
  if (existsSync(path.join(dir, 'postmaster.pid'))) await stopServer(bins, who, dir).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chownTree(who, dir);
  const server = topology.baseline.pg;
  await initTemplate(bins, who, dir, topology.pg.user, topology.pg.database);
  writeServerConfig(topology, server, dir, { synchronous: false });
  chownTree(who, dir);
  await startServer(bins, who, server, { dataDir: dir, logFile: path.join(dir, 'server.log') });

  const pool = new pg.Pool({ connectionString: connectionString(topology, server), max: 20 });
  await pool.query(readFileSync(path.join(topology.root, 'bench', 'baseline', 'schema.sql'), 'utf8'));
  await loadData(topology, pool);

  const apollo = new ApolloServer<Context>({
    typeDefs,
    // as in the platform's servers: no cache hints, no cache policy computed
    plugins: [ApolloServerPluginCacheControlDisabled()],
    resolvers: {
      Query: {
        products: async (_: unknown, args: { limit?: number; offset?: number }) =>
          (await pool.query<ProductRow>('SELECT id, nom, description, prix FROM produit ORDER BY id LIMIT $1 OFFSET $2', [Math.min(args.limit ?? 50, 200), args.offset ?? 0])).rows,
      },
      Product: {
        name: (p: ProductRow) => p.nom,
        price: (p: ProductRow) => p.prix,
        inventory: async (p: ProductRow, _: unknown, ctx: Context) =>
          (await ctx.stock.load(p.id)).map((s) => ({ site: SITES[s.site].code, quantity: s.quantite })),
        stock: async (p: ProductRow, _: unknown, ctx: Context) => (await ctx.stock.load(p.id)).reduce((sum, s) => sum + s.quantite, 0),
      },
      Mutation: {
        placeOrder: (_: unknown, args: { input: { clientId: string; items: { productId: string; quantity: number }[] } }) =>
          placeOrder(pool, args.input, clientSites),
      },
    },
  });
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async () => ({
        stock: new DataLoader<number, StockRow[]>(async (ids) => {
          const rows = (await pool.query<StockRow>('SELECT produit_id, site, quantite FROM stock WHERE produit_id = ANY($1) ORDER BY site', [ids])).rows;
          return ids.map((id) => rows.filter((r) => r.produit_id === id));
        }),
      }),
    }),
  );
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve) => httpServer.listen(topology.baseline.servicePort, server.host, resolve));
  return {
    url: `http://${server.host}:${topology.baseline.servicePort}/graphql`,
    async stop() {
      await apollo.stop();
      httpServer.close();
      await pool.end();
      await stopServer(bins, who, dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
