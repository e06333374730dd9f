/**
 * The orders whose payment recovery should look at, read from this site's rows: the decision's
 * outcome (the order row), the payment row and the outbox. Recovery feeds each to the order
 * machine (`paymentCheckState`), which asks for the relay or flags the disagreement.
 */
import { sql, type Kysely } from 'kysely';
import type { SiteDatabase } from '../../../lib/db/tables.ts';
import type { SiteId } from '../../../lib/sites.ts';
import type { PaymentObservation } from '../../../lib/twopc/machine/order-machine.ts';

/** At most this many orders a pass, those the relay can still finish first. */
const LIMIT = 200;

/**
 * Orders with an outbox row unacknowledged for longer than `olderThanMs` or rejected by the
 * provider, and confirmed orders not captured (or cancelled ones still captured) whose payment
 * last changed longer ago than that — ages by this database server's clock, so a capture still
 * on its way is not taken for a lost one.
 */
export async function paymentsToCheck(db: Kysely<SiteDatabase>, site: SiteId, olderThanMs: number): Promise<PaymentObservation[]> {
  const age = `${olderThanMs} milliseconds`;
  const { rows } = await sql<{
    commande_id: string;
    commande: PaymentObservation['order'];
    paiement: PaymentObservation['payment'];
    sorties: { operation: 'CAPTURE' | 'VOID' | 'REFUND'; status: 'PENDING' | 'DONE' | 'REJECTED' }[];
  }>`
    WITH candidats AS (
      SELECT commande_id, statut = 'PENDING' AS a_relayer FROM sortie_paiement
      WHERE statut = 'REJECTED' OR (statut = 'PENDING' AND created_at < now() - ${age}::interval)
      UNION ALL
      SELECT p.commande_id, false FROM paiement p JOIN commande c ON c.id = p.commande_id
      WHERE p.updated_at < now() - ${age}::interval
        AND ((c.statut = 'CONFIRMEE' AND p.statut <> 'CAPTURE') OR (c.statut = 'ANNULEE' AND p.statut = 'CAPTURE'))
    ),
    -- the orders whose rows the relay can still finish come first: findings only an operator can
    -- settle stay candidates pass after pass, and a backlog of them must not hide those
    retenus AS (
      SELECT commande_id FROM candidats GROUP BY commande_id
      ORDER BY bool_or(a_relayer) DESC, commande_id LIMIT ${LIMIT}
    )
    SELECT k.commande_id, c.statut AS commande, p.statut AS paiement,
           coalesce((SELECT json_agg(json_build_object('operation', s.operation, 'status', s.statut) ORDER BY s.id)
                     FROM sortie_paiement s WHERE s.commande_id = k.commande_id), '[]'::json) AS sorties
    FROM retenus k
    LEFT JOIN commande c ON c.id = k.commande_id
    LEFT JOIN paiement p ON p.commande_id = k.commande_id`.execute(db);
  return rows.map((r) => ({ orderId: r.commande_id, site, order: r.commande, payment: r.paiement, outbox: r.sorties }));
}
