/**
 * The OpenAPI 3.1 document of the payment provider's API, served at `/openapi.json`.
 */
const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const payment = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Payment' } } },
});

const referenceParameter = { name: 'reference', in: 'path', required: true, schema: { type: 'string', pattern: '^pay_[0-9a-f]{32}$' } };

const transition = (verb: string, summary: string, conflict: string) => ({
  post: {
    operationId: `${verb}Payment`,
    summary,
    description: 'Idempotent: repeating a transition already made answers the payment as it is.',
    parameters: [referenceParameter],
    responses: {
      200: payment('The payment after the transition'),
      404: error('No such payment'),
      409: error(`${conflict}; nothing changed (code PAYMENT_STATE_CONFLICT)`),
    },
  },
});

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Teranga payment provider',
      version: '1.0.0',
      description:
        'The local stand-in for Wave, Orange Money and card acquirers: authorize, then capture, void or refund. ' +
        'Callers present the internal secret in `x-teranga-internal-secret`; an administrator token (`Authorization: Bearer`) may read.',
    },
    security: [{ internalSecret: [] }, { adminToken: [] }],
    paths: {
      '/v1/payments': {
        post: {
          operationId: 'authorizePayment',
          summary: 'Authorize a payment',
          description: 'The same Idempotency-Key and body return the same payment (200, `Idempotent-Replayed: true`); the same key with another body is 409.',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthorizeRequest' } } },
          },
          responses: {
            201: payment('Authorized'),
            200: payment('A replay of an earlier authorization with this key'),
            400: error('Malformed request or missing Idempotency-Key'),
            402: error('Declined (code PAYMENT_DECLINED): above the method’s ceiling'),
            409: error('The key was used with another body (code IDEMPOTENCY_KEY_REUSED)'),
          },
        },
        get: {
          operationId: 'listPayments',
          summary: 'The payments of an order, or the whole ledger with capture counts',
          parameters: [{ name: 'orderId', in: 'query', required: false, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            200: {
              description: 'Payments, oldest first',
              content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Payment' } } } } } },
            },
          },
        },
      },
      '/v1/payments/{reference}': {
        get: {
          operationId: 'getPayment',
          summary: 'One payment',
          parameters: [referenceParameter],
          responses: { 200: payment('The payment'), 404: error('No such payment') },
        },
      },
      '/v1/payments/{reference}/capture': transition('capture', 'Capture an authorized payment', 'The payment was voided or refunded'),
      '/v1/payments/{reference}/void': transition('void', 'Release an authorization', 'The payment was captured or refunded'),
      '/v1/payments/{reference}/refund': transition('refund', 'Refund a captured payment', 'The payment was never captured'),
    },
    components: {
      securitySchemes: {
        internalSecret: { type: 'apiKey', in: 'header', name: 'x-teranga-internal-secret' },
        adminToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        AuthorizeRequest: {
          type: 'object',
          required: ['amount', 'currency', 'method', 'orderId'],
          additionalProperties: false,
          properties: {
            amount: { type: 'integer', minimum: 0, description: 'FCFA' },
            currency: { const: 'XOF' },
            method: { enum: ['WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY'] },
            orderId: { type: 'string', format: 'uuid' },
          },
        },
        Payment: {
          type: 'object',
          required: ['reference', 'orderId', 'amount', 'currency', 'method', 'status'],
          properties: {
            reference: { type: 'string' },
            orderId: { type: 'string', format: 'uuid' },
            amount: { type: 'integer' },
            currency: { const: 'XOF' },
            method: { enum: ['WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY'] },
            status: { enum: ['AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED'] },
            captures: { type: 'integer', description: 'In the whole-ledger listing only: captures applied' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  };
}
