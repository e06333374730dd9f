/**
 * The three sites, each with its own PostgreSQL primary, its warehouse and its customers.
 * `id` names servers, processes and directories; `code` is the GraphQL `Site` enum value.
 */
export const SITE_IDS = ['dakar', 'thies', 'saint-louis'] as const;
export type SiteId = (typeof SITE_IDS)[number];
export type SiteCode = 'DAKAR' | 'THIES' | 'SAINT_LOUIS';

export interface Site {
  readonly id: SiteId;
  readonly code: SiteCode;
  /** The site's city, whose coordinates place customers. */
  readonly city: string;
  readonly warehouse: string;
}

export const SITES: Readonly<Record<SiteId, Site>> = Object.freeze({
  dakar: { id: 'dakar', code: 'DAKAR', city: 'Dakar', warehouse: 'Entrepôt de Dakar' },
  thies: { id: 'thies', code: 'THIES', city: 'Thiès', warehouse: 'Entrepôt de Thiès' },
  'saint-louis': { id: 'saint-louis', code: 'SAINT_LOUIS', city: 'Saint-Louis', warehouse: 'Entrepôt de Saint-Louis' },
});

export function isSiteId(value: string): value is SiteId {
  return (SITE_IDS as readonly string[]).includes(value);
}

export function siteByCode(code: string): Site | undefined {
  return SITE_IDS.map((id) => SITES[id]).find((s) => s.code === code);
}
