/**
 * Parsing of the ids callers send. GraphQL `ID`s are strings (numbers in raw entity
 * representations); a malformed id names nothing, so lookups answer null instead of letting the
 * database reject the cast with an internal error.
 */

/** Largest PostgreSQL `integer`: products and clients are keyed by one. */
const MAX_INT4 = 2_147_483_647;

/**
 * A positive `integer` key, or null.
 * @example parseIntegerId('101') // 101
 * @example parseIntegerId('1e2') // null
 */
export function parseIntegerId(raw: unknown): number | null {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^[1-9][0-9]{0,9}$/.test(raw)) value = Number(raw);
  else return null;
  return Number.isInteger(value) && value > 0 && value <= MAX_INT4 ? value : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An order id in canonical form (lower case), or null when it is not a uuid. */
export function parseUuid(raw: unknown): string | null {
  return typeof raw === 'string' && UUID.test(raw) ? raw.toLowerCase() : null;
}
