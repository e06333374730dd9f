/**
 * Reads what reconciliation compares: every site's `paiement` rows (with the order's status and
 * whether the relay still has work for it) and intents without an order, from each site's current
 * primary, and the provider's whole ledger over its API.
 */
import pg from 'pg';
import { toolClient } from '../db/tool-client.ts';
import { currentPrimary } from '../../cluster/running-topology.ts';
import type { ClusterState } from '../../cluster/state.ts';
import { SITE_IDS } from '../sites.ts';
import { connectionString, type Topology } from '../topology.ts';
import { PaymentsClient } from './client.ts';
import { reconcile, type ReconcileReport, type SiteIntent, type SitePayment } from './reconcile.ts';

async function query<T extends pg.QueryResultRow>(topology: Topology, state: ClusterState | null, site: (typeof SITE_IDS)[number], text: string): Promise<T[]> {
  const client = toolClient({ connectionString: connectionString(topology, currentPrimary(topology, state, site)), application_name: 'teranga-reconcile', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export async function reconcileCluster(topology: Topology, state: ClusterState | null, secret: string): Promise<ReconcileReport> {
  const perSite = await Promise.all(
    SITE_IDS.map(async (site) => {
      const payments = await query<{ commande_id: string; statut_commande: SitePayment['orderStatus']; reference: string; montant: string; methode: string; statut: SitePayment['statut']; pending: boolean }>(
        topology, state, site,
        `SELECT p.commande_id, c.statut AS statut_commande, p.reference, p.montant::text, p.methode, p.statut,
                EXISTS (SELECT 1 FROM sortie_paiement s WHERE s.commande_id = p.commande_id AND s.statut = 'PENDING') AS pending
         FROM paiement p JOIN commande c ON c.id = p.commande_id`,
      );
      const intents = await query<{ commande_id: string; statut: SiteIntent['status']; pending: boolean }>(
        topology, state, site,
        `SELECT i.commande_id, i.statut,
                EXISTS (SELECT 1 FROM sortie_paiement s WHERE s.commande_id = i.commande_id AND s.statut = 'PENDING') AS pending
         FROM intention_commande i WHERE NOT EXISTS (SELECT 1 FROM commande c WHERE c.id = i.commande_id)`,
      );
      return {
        payments: payments.map((r): SitePayment => ({
          site, orderId: r.commande_id, orderStatus: r.statut_commande, reference: r.reference, amount: Number(r.montant), method: r.methode, statut: r.statut, outboxPending: r.pending,
        })),
        intents: intents.map((r): SiteIntent => ({ site, orderId: r.commande_id, status: r.statut, outboxPending: r.pending })),
      };
    }),
  );
  const ledger = await new PaymentsClient({ topology, secret, timeoutMs: 30_000 }).ledger();
  return reconcile(perSite.flatMap((s) => s.payments), perSite.flatMap((s) => s.intents), ledger);
}
