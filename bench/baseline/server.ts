/**
 * The single-node baseline the benchmarks compare the distributed platform with: one Apollo
 * Server (no federation, no routing) over one PostgreSQL server holding the same data in
 * unfragmented tables. Same queries, same batching (DataLoader), same order semantics (lock the
 * stock rows, decrement, write the order, its lines and payment) in one local transaction.
 *
 * Equal durability: like every database of the cluster, the baseline's PostgreSQL has a standby
 * with the same settings (cluster/postgres-settings.ts, written by the launcher's own
 * writeServerConfig), and commits wait for its replay (remote_apply). The benchmarks can switch it
 * to an asynchronous pair to show what the wait costs.
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
import { toolClient, toolPool } from '../../lib/db/tool-client.ts';
import { findPgBinaries } from '../../cluster/pg-binaries.ts';
import { chownTree, serverIdentity } from '../../cluster/os-user.ts';
import { createDataDir, initTemplate, slotName, startServer, stopServer, writeServerConfig } from '../../cluster/postgres-server.ts';
import { warehouseOrderFrom } from '../../lib/placement.ts';
import { SITES, type SiteId } from '../../lib/sites.ts';
import { connectionString, type PostgresServer, type Topology } from '../../lib/topology.ts';
import { onPrimary } from '../servers.ts';

const typeDefs = `#graphql
  enum Site { DAKAR THIES SAINT_LOUIS }
  type StockLevel { site: Site! quantity: Int! }
  type Product { id: ID! name: String! description: String price: Int! stock: Int inventory: [StockLevel] }
  type OrderLine { quantity: Int! site: Site! }
  type Order { id: ID! total: Int! status: String! lines: [OrderLine!]! }
  type Client { id: ID! name: String! city: String! orders: [Order!]! }
  type OrderError { code: String! message: String! }
  type PlaceOrderResult { order: Order error: OrderError }
  input OrderItemInput { productId: ID! quantity: Int! }
  input PlaceOrderInput { clientId: ID! items: [OrderItemInput!]! }
  type Query { products(limit: Int, offset: Int): [Product!]! client(id: ID!): Client }
  type Mutation { placeOrder(input: PlaceOrderInput!): PlaceOrderResult! }
`;

interface ProductRow { id: number; nom: string; description: string | null; prix: number }
interface StockRow { produit_id: number; site: SiteId; quantite: number }
interface Context { stock: DataLoader<number, StockRow[]> }

export interface Baseline {
  readonly url: string;
  /** Switches how the baseline's commits wait for its standby (it starts synchronous, as the cluster). */
  setDurability(durability: BaselineDurability): Promise<void>;
  /**
   * Moves the standby to another city (under --wan its stream then crosses that city's link to
   * Dakar, lib/topology.ts `outside`), and waits until it streams again, synchronously, from there.
   */
  setStandbyLocation(location: SiteId): Promise<void>;
  /** The baseline's primary, for a commit loop. */
  readonly connectionString: string;
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

/**
 * The baseline's durability: `sync` commits as the cluster does (a synchronous standby with the
 * cluster's settings, cluster/postgres-settings.ts, commits wait for its replay: remote_apply);
 * `async` keeps the standby streaming but commits wait only for the local flush.
 */
export type BaselineDurability = 'sync' | 'async';

export async function startBaseline(topology: Topology, clientSites: Map<number, SiteId>): Promise<Baseline> {
  const bins = findPgBinaries();
  const who = serverIdentity();
  const root = path.join(topology.dataDir, 'baseline');
  const dir = path.join(root, 'primary');
  const standbyDir = path.join(root, 'standby');
  // a run that was interrupted left its servers running: stop them before taking their ports again
  for (const d of [standbyDir, dir, root]) {
    if (existsSync(path.join(d, 'postmaster.pid'))) await stopServer(bins, who, d).catch(() => {});
  }
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  chownTree(who, root);
  const server = topology.baseline.pg;
  let standby: PostgresServer = topology.baseline.standby;
  // the pair as its own topology, so the launcher's configuration writer serves it unchanged
  const pairOf = (): Topology => ({ ...topology, postgres: [server, standby] });
  const template = path.join(root, 'template');
  await initTemplate(bins, who, template, topology.pg.user, topology.pg.database);
  createDataDir(template, dir, who, false);
  createDataDir(template, standbyDir, who, true);
  let durability: BaselineDurability = 'sync';
  const configure = () => {
    writeServerConfig(pairOf(), server, dir, { synchronous: durability === 'sync' });
    writeServerConfig(pairOf(), standby, standbyDir, { synchronous: durability === 'sync' });
  };
  configure();
  chownTree(who, root);
  await startServer(bins, who, server, { dataDir: dir, logFile: path.join(root, 'primary.log') });
  const admin = toolClient({ connectionString: connectionString(topology, server) });
  await admin.connect();
  await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [slotName(standby.name)]);
  await startServer(bins, who, standby, { dataDir: standbyDir, logFile: path.join(root, 'standby.log') });
  const durabilityNow = async () =>
    (await admin.query<{ sync_state: string | null; commit: string; started: Date | null }>(
      `SELECT (SELECT sync_state FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming') AS sync_state,
              (SELECT backend_start FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming') AS started,
              current_setting('synchronous_commit') AS commit`,
      [standby.name],
    )).rows[0]!;
  /** Waits until the primary commits as asked, with a standby that (re)connected after `since`. */
  const awaitDurability = async (since: Date | null) => {
    const wanted = durability === 'sync' ? { state: 'sync', commit: 'remote_apply' } : { state: 'async', commit: 'on' };
    for (let i = 0; i < 300; i++) {
      const now = await durabilityNow();
      if (now.sync_state === wanted.state && now.commit === wanted.commit && (since === null || (now.started !== null && now.started > since))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the baseline's standby did not become ${durability === 'sync' ? 'synchronous' : 'asynchronous'}${since ? ` from ${standby.location}` : ''}`);
  };
  /** Rewrites the pair's settings, reloads them, and waits until the primary commits as asked. */
  const setDurability = async (wanted: BaselineDurability) => {
    durability = wanted;
    configure();
    await admin.query('SELECT pg_reload_conf()');
    await awaitDurability(null);
  };
  const setStandbyLocation = async (location: SiteId) => {
    if (location === standby.location) return;
    const before = (await durabilityNow()).started;
    standby = { ...standby, location };
    configure();
    // a new primary_conninfo restarts the standby's WAL receiver, now through the other city's link
    const onStandby = toolClient({ connectionString: connectionString(topology, standby) });
    await onStandby.connect();
    try {
      await onStandby.query('SELECT pg_reload_conf()');
    } finally {
      await onStandby.end();
    }
    await awaitDurability(before ?? new Date(0));
  };
  await setDurability('sync');

  const pool = toolPool({ connectionString: connectionString(topology, server), max: 20 });
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
        // the profile with its orders and their lines in one statement, as the region batches them
        client: async (_: unknown, args: { id: string }) =>
          (await pool.query(
            `SELECT c.id, c.nom AS name, c.ville AS city,
                    COALESCE((SELECT json_agg(json_build_object('id', o.id, 'total', o.total, 'status', o.statut,
                                'lines', (SELECT COALESCE(json_agg(json_build_object('quantity', l.quantite, 'site', l.site)), '[]')
                                          FROM ligne_commande l WHERE l.commande_id = o.id))
                              ORDER BY o.created_at DESC)
                              FROM commande o WHERE o.client_id = c.id), '[]') AS orders
             FROM client c WHERE c.id = $1`,
            [Number(args.id)],
          )).rows[0] ?? null,
      },
      OrderLine: { site: (l: { site: SiteId }) => SITES[l.site].code },
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
    connectionString: connectionString(topology, server),
    setDurability,
    setStandbyLocation,
    async stop() {
      await apollo.stop();
      httpServer.close();
      await pool.end();
      await admin.end();
      await stopServer(bins, who, standbyDir);
      await stopServer(bins, who, dir);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
