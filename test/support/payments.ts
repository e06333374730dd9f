/**
 * The payment provider of the test cluster, over HTTP: its API as the coordinator and the relays
 * call it (internal secret), its test settings, and waits on the relay's progress.
 */
import { randomUUID } from 'node:crypto';
import { serviceByName } from '../../lib/topology.ts';
import { internalHeaders, sql, topology } from './cluster.ts';
import { until } from './until.ts';

export const paymentsUrl = () => serviceByName(topology, 'payments').url;

export interface ProviderPayment {
  reference: string;
  orderId: string;
  amount: number;
  currency: string;
  method: string;
  status: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';
  captures?: number;
}

export async function providerCall(method: string, path: string, body?: unknown, headers: Record<string, string> = internalHeaders()) {
  const response = await fetch(`${paymentsUrl()}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

export async function paymentsOfOrder(orderId: string): Promise<ProviderPayment[]> {
  const { body } = await providerCall('GET', `/v1/payments?orderId=${orderId}`);
  return body.data as ProviderPayment[];
}

export async function setProviderBehaviour(behaviour: { declineAll?: boolean; failAll?: boolean; failTransitions?: boolean; failNext?: number; delayMs?: number }): Promise<void> {
  const { status } = await providerCall('PUT', '/internal/test-settings', behaviour);
  if (status !== 200) throw new Error(`test settings refused: HTTP ${status}`);
}

export const normalProvider = () => setProviderBehaviour({});

/** Waits until the relay at the order's site has nothing left to do for it; returns paiement.statut. */
export async function settledPayment(site: string, orderId: string): Promise<string | null> {
  return until(`the relay to settle order ${orderId}`, async () => {
    const pending = await sql<{ n: number }>(site, `SELECT count(*)::int AS n FROM sortie_paiement WHERE commande_id = $1 AND statut = 'PENDING'`, [orderId]);
    if (pending[0]!.n > 0) return null;
    const [row] = await sql<{ statut: string }>(site, 'SELECT statut FROM paiement WHERE commande_id = $1', [orderId]);
    return { statut: row?.statut ?? null };
  }).then((r) => r.statut);
}

export const newOrderId = () => randomUUID();
