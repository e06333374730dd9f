/**
 * The local copies every site reads instead of crossing to another site, kept by PostgreSQL's
 * logical replication (publication / subscription), never by application copying:
 *
 * - the other warehouses' stock (publication `entrepot` of each site: `stock` and its heartbeat
 *   `battement`), subscribed at every other site into a database of its own, `copie_<site>`: a
 *   subscription matches tables by schema-qualified name, and each site already has its own
 *   `public.stock`, so the copies cannot share the site's database;
 * - the client directory (publication `annuaire` of the coordinator), subscribed into each site's
 *   own database, where `client_site` exists only as that copy;
 * - product information (publication `catalogue` of the products database: `produit`), subscribed
 *   at every site outside the products database's city into a database of its own,
 *   `copie_produits`, which that site's products subgraph reads (the GLOBAL-table idea).
 *
 * Subscriptions are named `<what>_vers_<subscriber>` (`copie_thies_vers_dakar`,
 * `annuaire_vers_dakar`, `copie_produits_vers_thies`): their replication slots on a publisher are unique by that name.
 * Idempotent: `up` and `failover` run it, making only what is missing or stale.
 *
 * A subscription follows a promoted subscriber (its catalog is in the physical standby), but not a
 * promoted publisher (a logical slot stays on the old primary): `teranga failover` runs this again,
 * which subscribes anew to the promoted publisher; until then the copy's age in the API shows it.
 */
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import {
  CATALOG_COPY_DATABASE, catalogCopySites, connectionStringTo, copyDatabase, serverConninfo, SITE_IDS, type PostgresServer, type SiteId,
  type Topology,
} from '../lib/topology.ts';
import { currentPrimary } from './running-topology.ts';
import type { ClusterState } from './state.ts';

export type Progress = (message: string) => void;

const underscored = (name: string) => name.replace(/-/g, '_');

/** Subscription (and slot) of `subscriber`'s copy of `source`'s stock. */
export function stockSubscriptionName(source: SiteId, subscriber: SiteId): string {
  return `${copyDatabase(source)}_vers_${underscored(subscriber)}`;
}

/** Subscription (and slot on the coordinator) of `subscriber`'s copy of the client directory. */
export function directorySubscriptionName(subscriber: SiteId): string {
  return `annuaire_vers_${underscored(subscriber)}`;
}

/** Subscription (and slot on the products database) of `subscriber`'s copy of product information. */
export function catalogSubscriptionName(subscriber: SiteId): string {
  return `${CATALOG_COPY_DATABASE}_vers_${underscored(subscriber)}`;
}

/** The table of the catalogue copy: the publisher's `produit`, without its checks and sequence. */
const CATALOG_TABLES = `
  CREATE TABLE IF NOT EXISTS produit (
    id          integer PRIMARY KEY,
    nom         text    NOT NULL,
    description text,
    prix        integer NOT NULL
  );`;

/** The tables of a stock copy: the publisher's `stock` and `battement`, without their triggers and checks. */
const COPY_TABLES = `
  CREATE TABLE IF NOT EXISTS stock (
    produit_id integer PRIMARY KEY,
    quantite   integer NOT NULL,
    version    bigint  NOT NULL
  );
  CREATE TABLE IF NOT EXISTS battement (
    site    text PRIMARY KEY,
    instant timestamptz NOT NULL
  );`;

async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = toolClient({ connectionString: url, application_name: 'teranga-launcher', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A subscription is sound when it names the publisher's current primary and its slot is there. A
 * promoted publisher has no slot (a logical slot stays on the server that created it), so after
 * a publisher's failover every subscription to it is dropped here and made again from scratch.
 */
async function subscriptionState(client: pg.Client, name: string, conninfo: string, publisherUrl: string): Promise<'absent' | 'sound' | 'stale'> {
  // pg_subscription is shared by every database of a server
  const { rows } = await client.query<{ subconninfo: string }>('SELECT subconninfo FROM pg_subscription WHERE subname = $1', [name]);
  if (rows.length === 0) return 'absent';
  if (rows[0]!.subconninfo !== conninfo) return 'stale';
  const slot = await withDb(publisherUrl, (p) => p.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name]));
  return slot.rows.length > 0 ? 'sound' : 'stale';
}

/**
 * Drops a subscription's slot on its publisher once no walsender holds it: a subscription dropped
 * because its conninfo changed (the WAN switched on or off) leaves its walsender running a moment.
 */
async function dropSlot(publisherUrl: string, name: string): Promise<void> {
  await withDb(publisherUrl, async (p) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await p.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
      if (rows.length === 0) return;
      if (!rows[0]!.active) {
        await p.query('SELECT pg_drop_replication_slot($1)', [name]);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`replication slot ${name} is still in use by its old subscription`);
  });
}

async function subscribe(
  client: pg.Client, name: string, publisher: PostgresServer, topology: Topology, subscriber: SiteId, publication: string,
  copyTables: string,
) {
  const conninfo = serverConninfo(topology, publisher, subscriber, name);
  const publisherUrl = connectionStringTo(topology, publisher, topology.pg.database);
  const state = await subscriptionState(client, name, conninfo, publisherUrl);
  if (state === 'sound') return false;
  if (state === 'stale') {
    // detached from its slot first: DROP SUBSCRIPTION would otherwise try to drop a slot that is gone
    await client.query(`ALTER SUBSCRIPTION ${name} DISABLE`);
    await client.query(`ALTER SUBSCRIPTION ${name} SET (slot_name = NONE)`);
    await client.query(`DROP SUBSCRIPTION ${name}`);
  }
  // a slot left without its subscription (the subscriber killed or promoted from a standby that had
  // not replayed the subscription yet) would make CREATE SUBSCRIPTION fail with "already exists"
  await dropSlot(publisherUrl, name);
  // the new subscription copies the publisher's rows again
  await client.query(`TRUNCATE ${copyTables}`);
  // utility statements take no bind parameters: the names are ours, the conninfo quoted as a literal
  // synchronous_commit on: the subscriber reports an applied change as flushed at once, which is
  // what moveClient waits for before it answers
  await client.query(
    `CREATE SUBSCRIPTION ${name} CONNECTION ${client.escapeLiteral(conninfo)} PUBLICATION ${publication} WITH (synchronous_commit = 'on')`,
  );
  return true;
}

export async function ensureLogicalCopies(topology: Topology, state: ClusterState | null, progress: Progress = () => {}): Promise<void> {
  const coordinator = currentPrimary(topology, state, 'coordinator');
  const products = currentPrimary(topology, state, 'products');
  const catalogSites = catalogCopySites(topology);
  // one subscriber at a time: CREATE SUBSCRIPTION creates its slot on the publisher, which waits for
  // the publisher's running transactions, so two sites subscribing to each other at once deadlock
  for (const subscriber of SITE_IDS) {
    {
      const server = currentPrimary(topology, state, subscriber);
      const created: string[] = [];
      await withDb(connectionStringTo(topology, server, topology.pg.database), async (client) => {
        const directory = directorySubscriptionName(subscriber);
        if (await subscribe(client, directory, coordinator, topology, subscriber, 'annuaire', 'client_site')) created.push(directory);
        const copies = [...SITE_IDS.filter((s) => s !== subscriber).map(copyDatabase), ...(catalogSites.includes(subscriber) ? [CATALOG_COPY_DATABASE] : [])];
        for (const database of copies) {
          const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (rows.length === 0) await client.query(`CREATE DATABASE ${database}`);
        }
      });
      for (const source of SITE_IDS.filter((s) => s !== subscriber)) {
        const name = stockSubscriptionName(source, subscriber);
        await withDb(connectionStringTo(topology, server, copyDatabase(source)), async (client) => {
          await client.query(COPY_TABLES);
          if (await subscribe(client, name, currentPrimary(topology, state, source), topology, subscriber, 'entrepot', 'stock, battement')) created.push(name);
        });
      }
      if (catalogSites.includes(subscriber)) {
        const name = catalogSubscriptionName(subscriber);
        await withDb(connectionStringTo(topology, server, CATALOG_COPY_DATABASE), async (client) => {
          await client.query(CATALOG_TABLES);
          if (await subscribe(client, name, products, topology, subscriber, 'catalogue', 'produit')) created.push(name);
        });
      }
      progress(`logical copies at ${subscriber}: ${created.length > 0 ? `subscribed ${created.join(', ')}` : 'already subscribed'}`);
    }
  }
}
