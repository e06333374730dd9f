/**
 * Who is calling: nobody in particular, a customer (a client of Teranga, acting on their own
 * data), an administrator, or another Teranga service presenting the internal secret.
 */
export type Principal =
  | { readonly kind: 'anonymous' }
  /** `clientId` is the token's subject: the only client whose data this caller may touch. */
  | { readonly kind: 'customer'; readonly clientId: string }
  | { readonly kind: 'admin'; readonly subject: string }
  /** A service that presented the internal secret (the orders coordinator, the gateway's directory). */
  | { readonly kind: 'internal' };

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });
export const INTERNAL: Principal = Object.freeze({ kind: 'internal' });

/** A label safe to log: never the token, only the role and the subject it names. */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'customer':
      return `customer:${principal.clientId}`;
    case 'admin':
      return `admin:${principal.subject}`;
    default:
      return principal.kind;
  }
}
