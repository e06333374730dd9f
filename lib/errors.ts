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
  SITE_UNAVAILABLE: { status: 503, description: 'A site (its database or its subgraph) cannot be reached.' },
  UNAUTHENTICATED: { status: 401, description: 'The request carries no valid credentials.' },
  FORBIDDEN: { status: 403, description: 'The credentials do not allow this operation.' },
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
