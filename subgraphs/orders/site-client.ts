/**
 * The coordinator's calls to the other services, straight to each process (never through the
 * gateway): the regional participant API and reads, and the products subgraph for prices.
 * Every call carries the internal secret and the request id; a site that does not answer in
 * time surfaces as SiteUnavailableError.
 */
import { INTERNAL_SECRET_HEADER } from '../../lib/config.ts';
import { currentRequestId, REQUEST_ID_HEADER } from '../../lib/service/request-context.ts';
import { siteIdOfCode } from '../../lib/domain/mapping.ts';
import { regionService, siteProducts, subgraphService, type NodeService, type Topology } from '../../lib/topology.ts';
import { SITES, type SiteId } from '../../lib/sites.ts';
import type { FinalizeOutcome, FinalizeRequest, IntentOutcome, OrderIntent } from '../../lib/twopc/intent.ts';
import type { ParticipantVote, ParticipantWork } from '../../lib/twopc/work.ts';
import type { PaymentObservation } from '../../lib/twopc/machine/order-machine.ts';

export class SiteUnavailableError extends Error {
  constructor(readonly target: string, cause: unknown) {
    super(`${target} is unavailable: ${(cause as Error)?.message ?? cause}`);
    this.name = 'SiteUnavailableError';
  }
}

export class RemoteGraphQLError extends Error {
  constructor(readonly target: string, readonly errors: { message: string; extensions?: { code?: string } }[]) {
    super(`${target}: ${errors.map((e) => e.message).join('; ')}`);
  }
}

export interface StockQuantity {
  productId: number;
  site: SiteId;
  quantity: number | null;
}

export interface StockSnapshotRow {
  productId: number;
  site: SiteId;
  quantity: number;
  version: number;
}

export interface StockGuessRow extends StockSnapshotRow {
  /** Read at the answering site's own warehouse (true), or from its local copy of `site`'s (false). */
  live: boolean;
}

export interface ProductPrice {
  id: number;
  name: string;
  price: number;
}

export interface RemoteOrder {
  id: string;
  site: string;
  status: 'CONFIRMED' | 'CANCELLED';
  total: number;
  client: { id: string } | null;
  lines: { product: { id: string } | null; quantity: number; unitPrice: number; site: string }[];
}

export interface SiteClientOptions {
  topology: Topology;
  /** The coordinator's site: prices are read from that site's products subgraph (default Dakar's). */
  site?: SiteId;
  secret: string;
  timeoutMs: number;
}

const VOTE_FIELDS = 'gid ok code message productId available existingOrderId';

/** How long past its budget a share's call is awaited before the outcome is settled by asking. */
export const SHARE_TIMEOUT_MARGIN_MS = 1_000;
/** Fencing and finalizing are short single-row writes: they get a short bound of their own. */
export const FENCE_TIMEOUT_MS = 3_000;

export class SiteClient {
  constructor(private readonly options: SiteClientOptions) {}

  private async call<T>(target: string, url: string, query: string, variables: Record<string, unknown>, explicitRequestId?: string, timeoutMs?: number): Promise<T> {
    // the request being served, when there is one: one id across the gateway, this service and the sites
    const requestId = explicitRequestId ?? currentRequestId();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [INTERNAL_SECRET_HEADER]: this.options.secret,
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(Math.max(1, Math.min(this.options.timeoutMs, timeoutMs ?? Infinity))),
      });
    } catch (error) {
      throw new SiteUnavailableError(target, error);
    }
    if (response.status >= 502) throw new SiteUnavailableError(target, new Error(`HTTP ${response.status}`));
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw new RemoteGraphQLError(target, body.errors);
    return body.data as T;
  }

  private region<T>(site: SiteId, query: string, variables: Record<string, unknown>, requestId?: string, timeoutMs?: number) {
    return this.call<T>(`site ${site}`, regionService(this.options.topology, site).url, query, variables, requestId, timeoutMs);
  }

  /** A share's call waits a little past its budget: the site's own "commit nothing after it" answers first. */
  private static shareTimeout(work: ParticipantWork): number | undefined {
    return work.budgetMs === undefined ? undefined : work.budgetMs + SHARE_TIMEOUT_MARGIN_MS;
  }

  async prepare(site: SiteId, work: ParticipantWork, requestId?: string): Promise<ParticipantVote> {
    const data = await this.region<{ _prepare: ParticipantVote }>(
      site, `mutation($work: String!) { _prepare(work: $work) { ${VOTE_FIELDS} } }`, { work: JSON.stringify(work) }, requestId, SiteClient.shareTimeout(work));
    return data._prepare;
  }

  async commitLocal(site: SiteId, work: ParticipantWork, requestId?: string): Promise<ParticipantVote> {
    const data = await this.region<{ _commitLocal: ParticipantVote }>(
      site, `mutation($work: String!) { _commitLocal(work: $work) { ${VOTE_FIELDS} } }`, { work: JSON.stringify(work) }, requestId, SiteClient.shareTimeout(work));
    return data._commitLocal;
  }

  async beginOrder(site: SiteId, intent: OrderIntent, timeoutMs?: number): Promise<IntentOutcome> {
    const data = await this.region<{ _beginOrder: string }>(site, 'mutation($i: String!) { _beginOrder(intent: $i) }', { i: JSON.stringify(intent) }, undefined, timeoutMs);
    return JSON.parse(data._beginOrder) as IntentOutcome;
  }

  async finalizeOrder(site: SiteId, request: FinalizeRequest): Promise<FinalizeOutcome['status']> {
    const data = await this.region<{ _finalizeOrder: FinalizeOutcome['status'] }>(site, 'mutation($r: String!) { _finalizeOrder(request: $r) }', { r: JSON.stringify(request) }, undefined, FENCE_TIMEOUT_MS);
    return data._finalizeOrder;
  }

  async decision(site: SiteId, gid: string): Promise<'COMMIT' | 'ABORT' | null> {
    const data = await this.region<{ _decision: 'COMMIT' | 'ABORT' | null }>(site, 'query($gid: String!) { _decision(gid: $gid) }', { gid });
    return data._decision;
  }

  async expiredIntents(site: SiteId): Promise<string[]> {
    const data = await this.region<{ _expiredIntents: string[] }>(site, '{ _expiredIntents }', {});
    return data._expiredIntents;
  }

  async paymentsToCheck(site: SiteId, olderThanMs: number): Promise<PaymentObservation[]> {
    const data = await this.region<{ _paymentsToCheck: string }>(site, 'query($o: Int!) { _paymentsToCheck(olderThanMs: $o) }', { o: olderThanMs });
    return JSON.parse(data._paymentsToCheck) as PaymentObservation[];
  }

  async relayPayments(site: SiteId): Promise<number> {
    const data = await this.region<{ _relayPayments: number }>(site, 'mutation { _relayPayments }', {});
    return data._relayPayments;
  }

  async pruneDecisions(site: SiteId, keep: string[], olderThanMs: number): Promise<number> {
    const data = await this.region<{ _pruneDecisions: number }>(site, 'mutation($k: [String!]!, $o: Int!) { _pruneDecisions(keep: $k, olderThanMs: $o) }', { k: keep, o: olderThanMs });
    return data._pruneDecisions;
  }

  async commitPrepared(site: SiteId, gid: string): Promise<void> {
    await this.region(site, 'mutation($gid: String!) { _commitPrepared(gid: $gid) }', { gid });
  }

  async rollbackPrepared(site: SiteId, gid: string): Promise<void> {
    await this.region(site, 'mutation($gid: String!) { _rollbackPrepared(gid: $gid) }', { gid });
  }

  async decide(site: SiteId, gid: string, decision: 'COMMIT' | 'ABORT'): Promise<'COMMIT' | 'ABORT'> {
    const data = await this.region<{ _decide: 'COMMIT' | 'ABORT' }>(
      site, 'mutation($gid: String!, $d: String!) { _decide(gid: $gid, decision: $d) }', { gid, d: decision }, undefined, FENCE_TIMEOUT_MS);
    return data._decide;
  }

  async inDoubt(site: SiteId): Promise<{ gid: string; preparedAt: string; ageMs: number }[]> {
    const data = await this.region<{ _inDoubt: { gid: string; preparedAt: string; ageMs: number }[] }>(site, '{ _inDoubt { gid preparedAt ageMs } }', {});
    return data._inDoubt;
  }

  async exportClient(site: SiteId, clientId: number): Promise<string | null> {
    const data = await this.region<{ _exportClient: string | null }>(site, 'query($id: ID!) { _exportClient(id: $id) }', { id: String(clientId) });
    return data._exportClient;
  }

  async orderByKey(site: SiteId, clientId: number, key: string): Promise<string | null> {
    const data = await this.region<{ _orderByIdempotencyKey: string | null }>(
      site, 'query($c: ID!, $k: String!) { _orderByIdempotencyKey(clientId: $c, key: $k) }', { c: String(clientId), k: key });
    return data._orderByIdempotencyKey;
  }

  /** The stock of the given products at one warehouse (entity fetch, one SQL statement there). */
  async stockAt(site: SiteId, productIds: number[], requestId?: string): Promise<StockQuantity[]> {
    const representations = productIds.map((id) => ({ __typename: 'StockLevel', productId: String(id), site: SITES[site].code }));
    const data = await this.region<{ _entities: ({ quantity: number } | null)[] }>(
      site,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on StockLevel { quantity } } }',
      { r: representations },
      requestId,
    );
    return productIds.map((productId, i) => ({ productId, site, quantity: data._entities[i]?.quantity ?? null }));
  }

  /** Quantities and row versions at one warehouse, read without locks (internal, one SQL statement). */
  async stockSnapshot(site: SiteId, productIds: number[], requestId?: string): Promise<StockSnapshotRow[]> {
    const data = await this.region<{ _stockSnapshot: { productId: string; quantity: number; version: number }[] }>(
      site, 'query($ids: [ID!]!) { _stockSnapshot(productIds: $ids) { productId quantity version } }', { ids: productIds.map(String) }, requestId);
    return data._stockSnapshot.map((row) => ({ productId: Number(row.productId), site, quantity: row.quantity, version: row.version }));
  }

  /**
   * Every warehouse's quantities and row versions as `at` sees them: its own warehouse live, the
   * others from its local copies (one call, to that site only).
   */
  async stockGuess(at: SiteId, productIds: number[], requestId?: string): Promise<StockGuessRow[]> {
    const data = await this.region<{ _stockGuess: { productId: string; site: string; quantity: number; version: number; live: boolean }[] }>(
      at, 'query($ids: [ID!]!) { _stockGuess(productIds: $ids) { productId site quantity version live } }', { ids: productIds.map(String) }, requestId);
    return data._stockGuess.flatMap((row) => {
      const site = siteIdOfCode(row.site);
      return site ? [{ productId: Number(row.productId), site, quantity: row.quantity, version: row.version, live: row.live }] : [];
    });
  }

  /** An order as its site holds it, or null. */
  async order(site: SiteId, id: string): Promise<RemoteOrder | null> {
    const data = await this.region<{ order: RemoteOrder | null }>(
      site,
      'query($id: ID!) { order(id: $id) { id site status total client { id } lines { product { id } quantity unitPrice site } } }',
      { id },
    );
    return data.order;
  }

  /**
   * Prices are read server-side, from this site's products subgraph; unknown products come back
   * null. A product this site's copy does not hold yet (created a moment ago) is asked again of
   * the products database's own subgraph: a copy behind costs a crossing, never a refusal.
   */
  async prices(productIds: number[], requestId?: string): Promise<Map<number, ProductPrice>> {
    const local = siteProducts(this.options.topology, this.options.site ?? 'dakar');
    const prices = await this.pricesAt(local, productIds, requestId);
    const home = subgraphService(this.options.topology, 'products');
    const missing = productIds.filter((id) => !prices.has(id));
    if (missing.length > 0 && home.name !== local.name) for (const [id, p] of await this.pricesAt(home, missing, requestId)) prices.set(id, p);
    return prices;
  }

  private async pricesAt(products: NodeService, productIds: number[], requestId?: string): Promise<Map<number, ProductPrice>> {
    const representations = productIds.map((id) => ({ __typename: 'Product', id: String(id) }));
    const data = await this.call<{ _entities: ({ id: string; name: string; price: number } | null)[] }>(
      'products',
      products.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name price } } }',
      { r: representations },
      requestId,
    );
    const prices = new Map<number, ProductPrice>();
    for (const p of data._entities) if (p) prices.set(Number(p.id), { id: Number(p.id), name: p.name, price: p.price });
    return prices;
  }
}
