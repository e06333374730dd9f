/**
 * The catalogue's page sizes: the products subgraph serves pages of this size, and the REST API
 * reports the limit it applied with the same numbers.
 */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The limit a page is served with, for the limit asked (none: the default; more than the cap: the cap). */
export function appliedLimit(asked: number | null | undefined): number {
  return Math.min(asked ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
}
