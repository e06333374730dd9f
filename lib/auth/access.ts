/**
 * The access rules every service applies to its own fields. Only the service that holds a piece of
 * data knows whose it is (a client row, an order's client), so the rules are checked there, with
 * the identity each service verified itself.
 *
 * - anonymous: the catalogue, `siteForCity` and sign-up only;
 * - customer: their own client record and orders; orders placed or cancelled for themselves;
 * - admin: everything public and every client's data, restocking, moving clients;
 * - internal: what the coordinator needs (the 2PC participant API and the reads it makes).
 */
import { TerangaError } from '../errors.ts';
import type { Principal } from './principal.ts';

const NEEDS_TOKEN = 'This operation needs credentials: send an `Authorization: Bearer <token>` header';

/** @throws TerangaError UNAUTHENTICATED for an anonymous caller */
export function requireAuthenticated(principal: Principal): void {
  if (principal.kind === 'anonymous') throw new TerangaError('UNAUTHENTICATED', NEEDS_TOKEN);
}

/** @throws TerangaError UNAUTHENTICATED without credentials, FORBIDDEN for a customer */
export function requireAdmin(principal: Principal, what: string): void {
  requireAuthenticated(principal);
  if (principal.kind === 'customer') throw new TerangaError('FORBIDDEN', `${what} needs the admin role`);
}

/** Whether the caller may read or act on this client's data. */
export function mayActFor(principal: Principal, clientId: string | number): boolean {
  if (principal.kind === 'admin' || principal.kind === 'internal') return true;
  // ids are compared as the token wrote them: "007" is not client 7's own spelling, so it is refused
  return principal.kind === 'customer' && principal.clientId === String(clientId);
}

/**
 * Checked before looking the client up, so that a customer learns nothing about other ids
 * (existing or not: the answer is FORBIDDEN either way).
 * @throws TerangaError UNAUTHENTICATED without credentials, FORBIDDEN for another client
 */
export function requireClientAccess(principal: Principal, clientId: string | number): void {
  requireAuthenticated(principal);
  if (!mayActFor(principal, clientId)) {
    throw new TerangaError('FORBIDDEN', 'A customer may only read and change their own client record and orders');
  }
}
