import type { IncomingHttpHeaders } from 'node:http';
import type { Kysely } from 'kysely';
import type { Principal } from '../../lib/auth/principal.ts';
import type { SiteDatabase } from '../../lib/db/tables.ts';
import type { SiteId } from '../../lib/sites.ts';
import type { StockCopies } from './local-copies.ts';
import type { RegionLoaders } from './loaders.ts';

/** What every resolver of a regional subgraph receives; built afresh for each request. */
export interface RegionContext {
  /** The site this process serves; its database is `db`. */
  readonly site: SiteId;
  readonly db: Kysely<SiteDatabase>;
  readonly loaders: RegionLoaders;
  /** The other warehouses' stock, from this site's local copies. */
  readonly stockCopies?: StockCopies;
  /**
   * How much of a product's stock a `Product` entity answers: this warehouse's part (`own`, the
   * default), or every warehouse's, the others from the copies (lib/stock-scope.ts).
   */
  readonly stockScope: 'own' | 'every-warehouse';
  /** The HTTP request's headers, for resolvers that authenticate internal callers. */
  readonly headers: IncomingHttpHeaders;
  /** Who is calling, as their credentials prove (see lib/auth/access.ts for what each may do). */
  readonly principal: Principal;
  /** The request presented the internal secret (see RegionServerOptions.internalSecret). */
  readonly internalCaller: boolean;
}
