/**
 * How long a warehouse's stock stays locked when the decision site of a distributed order dies
 * after the other warehouse prepared: the case 2PC blocks on. Used by the failover rounds of
 * bench/replication.ts, which kill the decision site's primary.
 *
 * Just before the kill, a share is prepared at another site through the participant API, as the
 * coordinator prepares one: its gid names the site about to die as the decision site, and it holds
 * the row lock of one stock row. Nobody decides it: the measure is from the kill until a
 * `SELECT … FOR UPDATE NOWAIT` of that row succeeds at the other site, that is until recovery,
 * finding the share older than its in-doubt timeout, asked the (promoted) decision site and rolled
 * the share back. The bound by construction is the failover, then the in-doubt timeout counted from
 * the prepare, then at most one recovery interval.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { localSecrets } from '../cluster/secrets.ts';
import type { SiteId } from '../lib/sites.ts';
import type { Topology } from '../lib/topology.ts';
import { makeGid, type ParticipantWork } from '../lib/twopc/work.ts';
import { SiteClient } from '../subgraphs/orders/site-client.ts';
import { onPrimary } from './servers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOCK_NOT_AVAILABLE = '55P03';

export interface InDoubtShare {
  readonly gid: string;
  readonly site: SiteId;
  readonly productId: number;
}

/** Prepares one unit of `productId` at `site` for an order whose decision site is `decisionSite`. */
export async function prepareInDoubtShare(topology: Topology, site: SiteId, decisionSite: SiteId, productId: number): Promise<InDoubtShare> {
  const orderId = randomUUID();
  const gid = makeGid('order', orderId, decisionSite);
  const work: ParticipantWork = { gid, orderId, motif: 'COMMANDE', stock: [{ productId, delta: -1 }] };
  const vote = await new SiteClient({ topology, secret: localSecrets(topology).TERANGA_INTERNAL_SECRET, timeoutMs: 10_000 }).prepare(site, work);
  if (!vote.ok) throw new Error(`the ${site} share of the in-doubt order was not prepared: ${JSON.stringify(vote)}`);
  return { gid, site, productId };
}

/** Whether the stock row can be locked now (no one, the prepared share included, holds it). */
async function rowFree(c: pg.Client, productId: number): Promise<boolean> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT 1 FROM stock WHERE produit_id = $1 FOR UPDATE NOWAIT', [productId]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
    throw error;
  } finally {
    await c.query('ROLLBACK');
  }
}

/**
 * Polls (every 20 ms) until the share's stock row can be locked; resolves with the time it could.
 * The site polled is not the one killed, so one connection to its primary serves throughout.
 */
export async function lockFreedAt(topology: Topology, share: InDoubtShare, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return onPrimary(topology, share.site, async (c) => {
    for (;;) {
      if (await rowFree(c, share.productId)) return Date.now();
      if (Date.now() > deadline) throw new Error(`the ${share.site} stock row of ${share.productId} was still locked by ${share.gid} after ${timeoutMs / 1000} s`);
      await sleep(20);
    }
  });
}

/** What recovery decided for the share: ABORT expected, the decision site never having decided. */
export async function decisionOf(topology: Topology, share: InDoubtShare, decisionSite: SiteId): Promise<string | null> {
  return onPrimary(topology, decisionSite, async (c) => {
    const { rows } = await c.query<{ decision: string }>('SELECT decision FROM decision_2pc WHERE gid = $1', [share.gid]);
    return rows[0]?.decision ?? null;
  });
}
