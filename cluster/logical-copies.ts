/**
 * The local copies every site reads instead of crossing to another site, kept by PostgreSQL's
 * logical replication (publication / subscription), never by application copying:
 *
 * - the other warehouses' stock (publication `entrepot` of each site: `stock` and its heartbeat
 *   `battement`), subscribed at every other site into a database of its own, `copie_<site>`: a
 *   subscription matches tables by schema-qualified name, and each site already has its own
 *   `public.stock`, so the copies cannot share the site's database;
 * - the client directory (publication `annuaire` of the coordinator), subscribed into each site's
 *   own database, where `client_site` exists only as that copy.
 *
 * Subscriptions are named `<what>_vers_<subscriber>` (`copie_thies_vers_dakar`,
 * `annuaire_vers_dakar`): their replication slots on a publisher are unique by that name.
 * Idempotent: `up` runs it after the migrations, creating only what is missing.
 *
 * Limits, documented in the README: a subscription follows a promoted subscriber (its catalog is
 * in the physical standby) but not a promoted publisher (a logical slot stays on the old primary):
 * after a publisher's failover the copy stops moving, and its age in the API says so.
 */
import pg from 'pg';
import {
  connectionStringTo, copyDatabase, serverConninfo, SITE_IDS, type PostgresServer, type SiteId, type Topology,
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
  const client = new pg.Client({ connectionString: url, application_name: 'teranga-launcher', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function subscriptionExists(client: pg.Client, name: string): Promise<boolean> {
  // pg_subscription is shared by every database of a server
  const { rows } = await client.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [name]);
  return rows.length > 0;
}

async function subscribe(client: pg.Client, name: string, publisher: PostgresServer, topology: Topology, subscriber: SiteId, publication: string) {
  if (await subscriptionExists(client, name)) return false;
  const conninfo = serverConninfo(topology, publisher, subscriber, name);
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
  // one subscriber at a time: CREATE SUBSCRIPTION creates its slot on the publisher, which waits for
  // the publisher's running transactions, so two sites subscribing to each other at once deadlock
  for (const subscriber of SITE_IDS) {
    {
      const server = currentPrimary(topology, state, subscriber);
      const created: string[] = [];
      await withDb(connectionStringTo(topology, server, topology.pg.database), async (client) => {
        const directory = directorySubscriptionName(subscriber);
        if (await subscribe(client, directory, coordinator, topology, subscriber, 'annuaire')) created.push(directory);
        for (const source of SITE_IDS.filter((s) => s !== subscriber)) {
          const database = copyDatabase(source);
          const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (rows.length === 0) await client.query(`CREATE DATABASE ${database}`);
        }
      });
      for (const source of SITE_IDS.filter((s) => s !== subscriber)) {
        const name = stockSubscriptionName(source, subscriber);
        await withDb(connectionStringTo(topology, server, copyDatabase(source)), async (client) => {
          await client.query(COPY_TABLES);
          if (await subscribe(client, name, currentPrimary(topology, state, source), topology, subscriber, 'entrepot')) created.push(name);
        });
      }
      progress(`logical copies at ${subscriber}: ${created.length > 0 ? `subscribed ${created.join(', ')}` : 'already subscribed'}`);
    }
  }
}
