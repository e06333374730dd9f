/**
 * Every error code Teranga returns, with what it means. GraphQL errors carry the code in
 * `extensions.code`; the REST API maps it to an HTTP status.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, description: 'An argument is malformed or out of range.' },
  UNKNOWN_CITY: { status: 400, description: 'The city is not in the placement table.' },
  INVALID_EMAIL: { status: 400, description: 'The email address is malformed.' },
  DUPLICATE_EMAIL: { status: 409, description: 'Another client already uses this email address.' },
  INVALID_QUANTITY: { status: 400, description: 'A quantity is not a positive whole number in range.' },
  NOT_FOUND: { status: 404, description: 'The requested record does not exist.' },
  UNKNOWN_PRODUCT: { status: 404, description: 'An order line names a product that does not exist.' },
  UNKNOWN_CLIENT: { status: 404, description: 'The order names a client that does not exist.' },
  OUT_OF_STOCK: { status: 409, description: 'The warehouses together do not hold enough of a product.' },
  PAYMENT_DECLINED: { status: 402, description: 'The payment provider declined the authorization.' },
  CONFLICT: { status: 409, description: 'Concurrent orders conflicted and retries were exhausted.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, description: 'The idempotency key was already used for a different request; nothing was changed.' },
  PAYMENT_UNAVAILABLE: { status: 503, description: 'The payment provider did not answer in time; nothing was charged.' },
  PAYMENT_STATE_CONFLICT: { status: 409, description: 'The payment cannot make this transition (capture after void, void after capture, …); nothing changed.' },
  SITE_UNAVAILABLE: { status: 503, description: 'A site (its database or its subgraph) cannot be reached.' },
  UNAUTHENTICATED: { status: 401, description: 'The request carries no valid credentials (no token, or one that is expired, tampered with or not ours).' },
  FORBIDDEN: { status: 403, description: 'The credentials do not allow this operation.' },
  BAD_REQUEST: { status: 400, description: 'The HTTP request is malformed: invalid JSON, no query, a batch of operations, or blocked as a possible cross-site request.' },
  GRAPHQL_PARSE_FAILED: { status: 400, description: 'The GraphQL document does not parse, or has more tokens than the gateway accepts.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, description: 'The operation does not match the schema (unknown field, argument or enum value, wrong type).' },
  QUERY_TOO_COMPLEX: { status: 400, description: 'The operation is past a gateway limit (depth, cost, aliases, directives or list length) and was refused before any service ran it.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than the gateway accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'A GraphQL POST must be sent as application/json.' },
  INTERNAL_SERVER_ERROR: { status: 500, description: 'An unexpected failure; the logs hold the details.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected failure with a stable code, safe to show to callers. */
export class TerangaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'TerangaError';
  }
}

export function httpStatusOf(code: string): number {
  return code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].status : 500;
}
