/**
 * The payment provider's HTTP API against its own PostgreSQL database: authorization with an
 * Idempotency-Key (replay, reuse with another body), the transitions and their idempotence,
 * impossible transitions, reads, who may call, the declines and the OpenAPI document.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from './support/cluster.ts';
import { newOrderId, normalProvider, paymentsUrl, providerCall, setProviderBehaviour } from './support/payments.ts';
import { adminToken, customerToken } from './support/tokens.ts';

const body = (orderId: string, amount = 15_000, method = 'WAVE') => ({ amount, currency: 'XOF', method, orderId });

async function authorize(key: string, request: unknown) {
  return providerCall('POST', '/v1/payments', request, { ...(await import('./support/cluster.ts')).internalHeaders(), 'idempotency-key': key });
}

afterAll(async () => {
  await normalProvider();
});

describe('payment provider API', () => {
  it('is listed in the topology at its own port and serves its OpenAPI document', async () => {
    const response = await fetch(`${paymentsUrl()}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/payments', '/v1/payments/{reference}', '/v1/payments/{reference}/capture', '/v1/payments/{reference}/refund', '/v1/payments/{reference}/void',
    ]);
  });

  it('authorizes once per key: the same key and body replay, the same key with another body is 409', async () => {
    const orderId = newOrderId();
    const first = await authorize(orderId, body(orderId));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'AUTHORIZED', amount: 15_000, method: 'WAVE', orderId });
    const again = await authorize(orderId, body(orderId));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.reference).toBe(first.body.reference);
    const other = await authorize(orderId, body(orderId, 16_000));
    expect(other.status).toBe(409);
    expect((other.body.error as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
    // durable, in the provider's own database
    const rows = await sql<{ statut: string; montant: number }>('payments', 'SELECT statut, montant FROM transaction_paiement WHERE commande_id = $1', [orderId]);
    expect(rows).toEqual([{ statut: 'AUTHORIZED', montant: 15_000 }]);
  });

  it('captures, voids and refunds idempotently; an impossible transition is 409 and changes nothing', async () => {
    const a = newOrderId();
    const ref = (await authorize(a, body(a))).body.reference as string;
    expect((await providerCall('POST', `/v1/payments/${ref}/capture`)).body.status).toBe('CAPTURED');
    expect((await providerCall('POST', `/v1/payments/${ref}/capture`)).status).toBe(200);
    const voidAfterCapture = await providerCall('POST', `/v1/payments/${ref}/void`);
    expect(voidAfterCapture.status).toBe(409);
    expect((voidAfterCapture.body.error as { code: string }).code).toBe('PAYMENT_STATE_CONFLICT');
    expect((await providerCall('POST', `/v1/payments/${ref}/refund`)).body.status).toBe('REFUNDED');
    expect((await providerCall('POST', `/v1/payments/${ref}/refund`)).status).toBe(200);
    const captures = await sql<{ n: number }>('payments', `SELECT count(*)::int AS n FROM operation_paiement WHERE reference = $1 AND operation = 'CAPTURE'`, [ref]);
    expect(captures[0]!.n).toBe(1);

    const b = newOrderId();
    const voided = (await authorize(b, body(b))).body.reference as string;
    expect((await providerCall('POST', `/v1/payments/${voided}/void`)).body.status).toBe('VOIDED');
    expect((await providerCall('POST', `/v1/payments/${voided}/void`)).status).toBe(200);
    expect((await providerCall('POST', `/v1/payments/${voided}/capture`)).status).toBe(409);
    expect((await providerCall('GET', `/v1/payments/${voided}`)).body).toMatchObject({ reference: voided, orderId: b, status: 'VOIDED', amount: 15_000, method: 'WAVE' });
    expect((await providerCall('GET', `/v1/payments?orderId=${b}`)).body.data).toHaveLength(1);
    expect((await providerCall('POST', '/v1/payments/pay_00000000000000000000000000000000/capture')).status).toBe(404);
  });

  it('declines above the method ceiling (402) and refuses a missing key or a malformed body (400)', async () => {
    const id = newOrderId();
    const declined = await authorize(id, body(id, 2_500_000, 'WAVE'));
    expect(declined.status).toBe(402);
    expect((declined.body.error as { code: string }).code).toBe('PAYMENT_DECLINED');
    expect((await authorize(newOrderId(), body(id, 2_500_000, 'CARD'))).status).toBe(201);
    const { internalHeaders } = await import('./support/cluster.ts');
    expect((await providerCall('POST', '/v1/payments', body(id), internalHeaders())).status).toBe(400);
    expect((await authorize(newOrderId(), { ...body(id), currency: 'EUR' })).status).toBe(400);
  });

  it('lets callers with the internal secret do everything, an administrator read only, nobody else anything', async () => {
    const id = newOrderId();
    const ref = (await authorize(id, body(id))).body.reference as string;
    expect((await providerCall('GET', `/v1/payments/${ref}`, undefined, {})).status).toBe(401);
    const admin = { authorization: `Bearer ${await adminToken()}` };
    expect((await providerCall('GET', `/v1/payments/${ref}`, undefined, admin)).status).toBe(200);
    expect((await providerCall('POST', `/v1/payments/${ref}/capture`, undefined, admin)).status).toBe(403);
    expect((await providerCall('GET', `/v1/payments/${ref}`, undefined, { authorization: `Bearer ${await customerToken(1)}` })).status).toBe(403);
    expect((await providerCall('GET', `/v1/payments/${ref}`, undefined, { authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it('can be told to decline or to fail with 503 (test settings)', async () => {
    await setProviderBehaviour({ declineAll: true });
    const id = newOrderId();
    expect((await authorize(id, body(id))).status).toBe(402);
    await setProviderBehaviour({ failNext: 1 });
    expect((await authorize(id, body(id))).status).toBe(503);
    expect((await authorize(id, body(id))).status).toBe(201);
    await normalProvider();
  });
});
