/**
 * The data source of the sharded subgraph (`regions`), which one process per site serves with the
 * same schema, each holding only its own site's rows. Apollo's query planner routes by type and
 * field, never by value; this data source routes each fetch by value, with the routing keys and
 * merge rules declared for the subgraph (sharding-rules.ts, schema/regions.routing.ts), and
 * sends each per-site request through that site's own data source:
 * - `_entities`: representations split by site (a key field holding a Site code, or the client
 *   directory), per-site batches in parallel, answers and error paths put back in order;
 * - root fields: each by its routing keys, else by its rule's fallback (every site, any site —
 *   the caller's, from `x-client-city`, when it names one — or refused), the operation rewritten
 *   per site so each receives only its own fields;
 * - a site that cannot be reached yields null and a SITE_UNAVAILABLE error on its fields only.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { regionService, type Topology } from '../lib/topology.ts';
import { DirectoryUnavailableError, type ClientDirectory } from './client-directory.ts';
import type { GatewayContext } from './context.ts';
import {
  ForwardingDataSource,
  isIncomingOperation,
  type IncomingProcessOptions,
  type ProcessOptions,
  type SubgraphRequest,
  type SubgraphResponse,
} from './forwarding-data-source.ts';
import { effectiveVariables, isEntitiesFetch, parseOperation, rootFields, subsetOperation, type ParsedOperation, type RootField } from './operation-subset.ts';
import {
  enforceMutationRoute,
  mergeRootAnswers,
  planRootRequests,
  routeRootField,
  siteOfCity,
  type ResolvedRoute,
} from './route-root-fields.ts';
import { rootFieldRule, type OneSiteAnswer, type ShardingRules } from './sharding-rules.ts';
import type { MergedResponse, SiteAnswer } from './site-answer.ts';
import { siteUnavailable, type SiteFailure } from './site-errors.ts';
import {
  clientIdOf,
  mergeEntityAnswers,
  partRulesOf,
  routeRepresentation,
  splitRepresentations,
  type EntityRoute,
  type Representation,
} from './split-entities.ts';
import { SubgraphUnreachableError } from './subgraph-fetcher.ts';

export interface SiteRouterOptions {
  readonly topology: Topology;
  readonly directory: ClientDirectory;
  readonly rules: ShardingRules;
  /** The subgraph's name in the supergraph (default `regions`). */
  readonly subgraph?: string;
  readonly timeoutMs?: number;
  /** The gateway's own site: a field any site answers alike goes there unless the caller names a city. */
  readonly homeSite?: SiteId;
  readonly logger?: Pick<Console, 'warn'>;
  /** The HTTP client of every site's data source (tests answer in-process). */
  readonly fetcher?: ForwardingDataSource['fetcher'];
}

/** One site's process of the sharded subgraph: its own URL, and failures left raw for the router. */
class SiteDataSource extends ForwardingDataSource {
  constructor(
    readonly site: SiteId,
    options: { subgraph: string; url: string; timeoutMs?: number },
  ) {
    super(options);
  }

  /** The router reports a failed site on that site's fields only (siteFailureOf). */
  override didEncounterError(error: Error): void {
    throw error;
  }

  protected override siteOf(): SiteId {
    return this.site;
  }
}

/** HTTP statuses of a proxy or server that cannot serve right now. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/** How a failed request to one site is reported on its fields. */
export function siteFailureOf(site: SiteId, error: unknown): SiteFailure {
  if (error instanceof SubgraphUnreachableError) return siteUnavailable(site, error.reason);
  if (error instanceof GraphQLError) {
    const response = error.extensions.response as { status?: unknown; body?: unknown } | undefined;
    if (typeof response?.status === 'number' && UNAVAILABLE_STATUSES.has(response.status)) {
      return siteUnavailable(site, `HTTP ${response.status}`);
    }
    const first = (response?.body as { errors?: GraphQLFormattedError[] } | undefined)?.errors?.[0];
    if (first) return { code: String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), message: first.message };
    return { code: String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR'), message: error.message };
  }
  return { code: 'INTERNAL_SERVER_ERROR', message: error instanceof Error ? error.message : String(error) };
}

function toResponse(merged: MergedResponse): SubgraphResponse {
  return merged.errors.length > 0 ? { data: merged.data, errors: merged.errors } : { data: merged.data };
}

export class SiteRouterDataSource implements GraphQLDataSource<GatewayContext> {
  readonly subgraph: string;
  private readonly sites: Readonly<Record<SiteId, SiteDataSource>>;
  private readonly directory: ClientDirectory;
  private readonly rules: ShardingRules;
  private readonly logger: Pick<Console, 'warn'>;

  private readonly homeSite: SiteId | undefined;

  constructor(options: SiteRouterOptions) {
    this.subgraph = options.subgraph ?? 'regions';
    const sources = SITE_IDS.map((site) => {
      const source = new SiteDataSource(site, { subgraph: this.subgraph, url: regionService(options.topology, site).url, timeoutMs: options.timeoutMs });
      if (options.fetcher) source.fetcher = options.fetcher;
      return [site, source] as const;
    });
    this.sites = Object.fromEntries(sources) as Record<SiteId, SiteDataSource>;
    this.directory = options.directory;
    this.rules = options.rules;
    this.homeSite = options.homeSite;
    this.logger = options.logger ?? console;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    if (!isIncomingOperation(options) || !options.request.query) {
      // a health check or schema load: every site serves the same schema
      return this.sites[SITE_IDS[0]].process(options);
    }
    const parsed = parseOperation(options.request.query, options.request.operationName);
    return isEntitiesFetch(parsed) ? this.routeEntities(options, parsed) : this.routeRootFields(options, parsed);
  }

  // ---- _entities -------------------------------------------------------------------------

  private async routeEntities(options: IncomingProcessOptions, parsed: ParsedOperation): Promise<SubgraphResponse> {
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations)) throw new Error('An _entities fetch without a representations list');
    const reps = representations as Representation[];
    const clientIds = reps.map((r) => clientIdOf(this.rules, r));
    const clientSites = await this.clientSites(clientIds.filter((id): id is string => id !== undefined));
    const routes = reps.map((r) => routeRepresentation(r, this.rules, clientSites));
    const partRules = partRulesOf(parsed, this.rules);
    const oneSite = this.oneSiteOf(reps, routes, options.incomingRequestContext.context);
    let known: SiteAnswer | undefined;
    if (oneSite) {
      // one site answers every part (its copies of the others', within their age bound)
      const answer = await this.ask(options, oneSite.site, options.request, oneSite.headers);
      const entities = answer.kind === 'response' ? answer.data?._entities : undefined;
      if (answer.kind === 'response' && answer.errors.length === 0 && Array.isArray(entities) && entities.length === reps.length) {
        return { data: { _entities: entities } };
      }
      // else every site for its own part; a site that could not be reached is not asked again
      if (answer.kind === 'failure') known = answer;
    }
    const first = await this.fetchEntities(options, reps, routes, partRules, known);

    // a null Client from the site the directory named: the client may have moved since it was cached
    const entities = first.data._entities as unknown[];
    const erred = new Set(first.errors.map((e) => e.path?.[1]));
    const stale = reps.flatMap((rep, i) => {
      const route = routes[i]!;
      const id = clientIds[i];
      return route.kind === 'site' && id !== undefined && entities[i] === null && !erred.has(i) ? [{ index: i, id, site: route.site }] : [];
    });
    if (stale.length === 0) return toResponse(first);
    const moved = await this.movedClients(stale.map((s) => [s.id, s.site]));
    const retry = stale.filter((s) => moved.has(s.id));
    if (retry.length === 0) return toResponse(first);
    const second = await this.fetchEntities(
      options,
      retry.map((s) => reps[s.index]!),
      retry.map((s) => ({ kind: 'site', site: moved.get(s.id)! })),
      partRules,
    );
    const retried = second.data._entities as unknown[];
    retry.forEach((s, k) => {
      entities[s.index] = retried[k];
    });
    const errors = [
      ...first.errors,
      ...second.errors.map((e) => {
        const k = e.path?.[1];
        return typeof k === 'number' ? { ...e, path: ['_entities', retry[k]!.index, ...e.path!.slice(2)] } : e;
      }),
    ];
    return toResponse({ data: { _entities: entities }, errors });
  }

  private async fetchEntities(
    options: IncomingProcessOptions,
    reps: readonly Representation[],
    routes: readonly EntityRoute[],
    partRules: ReturnType<typeof partRulesOf>,
    known?: SiteAnswer,
  ): Promise<MergedResponse> {
    const batches = splitRepresentations(routes);
    const answers = await Promise.all(
      batches.map((batch) =>
        known?.site === batch.site ? known : this.ask(options, batch.site, {
          query: options.request.query,
          operationName: options.request.operationName,
          variables: { ...options.request.variables, representations: batch.indices.map((i) => reps[i]) },
        }),
      ),
    );
    return mergeEntityAnswers(reps.length, batches, answers, routes, partRules);
  }

  // ---- root fields -----------------------------------------------------------------------

  private async routeRootFields(options: IncomingProcessOptions, parsed: ParsedOperation): Promise<SubgraphResponse> {
    const context: GatewayContext = options.incomingRequestContext.context;
    const operation = parsed.operation.operation;
    const variables = effectiveVariables(parsed.operation, options.request.variables ?? {});
    const parent = operation === 'mutation' ? 'Mutation' : 'Query';
    const fields = rootFields(parsed);
    const routes = fields.map((field) =>
      routeRootField(field, rootFieldRule(this.rules, parent, field.name), { operation, variables, clientCity: context.clientCity }),
    );
    const clientIds = routes.flatMap((r) => (r.kind === 'client' ? [r.id] : []));
    const clientSites = await this.clientSites(clientIds);
    const resolved: ResolvedRoute[] = routes.map((route, i) => {
      if (route.kind !== 'client') return enforceMutationRoute(fields[i]!, route, operation);
      const site = clientSites.get(route.id);
      // An unknown client is still asked of one site: only the site applies the access rules, so a
      // customer gets FORBIDDEN for every id not their own, whether it exists or not.
      if (site === null) return { kind: 'any' };
      // the directory could not answer: look for the client everywhere
      if (site === undefined) return enforceMutationRoute(fields[i]!, { kind: 'all', reason: 'client directory unavailable', merge: 'first' }, operation);
      return { kind: 'site', site, reason: `client ${route.id}` };
    });
    const preferred = context.clientCity === null ? undefined : siteOfCity(context.clientCity);
    const first = await this.fetchRoot(options, parsed, fields, resolved, preferred);

    // a null client from the site the directory named: the client may have moved since it was cached
    const erred = new Set(first.errors.map((e) => e.path?.[0]));
    const stale = fields.flatMap((field, i) => {
      const route = routes[i]!;
      const to = resolved[i]!;
      return route.kind === 'client' && to.kind === 'site' && first.data[field.responseKey] === null && !erred.has(field.responseKey)
        ? [{ index: i, id: route.id, site: to.site }]
        : [];
    });
    if (stale.length === 0) return toResponse(first);
    const moved = await this.movedClients(stale.map((s) => [s.id, s.site]));
    const retry = stale.filter((s) => moved.has(s.id));
    if (retry.length === 0) return toResponse(first);
    const second = await this.fetchRoot(
      options,
      parsed,
      retry.map((s) => fields[s.index]!),
      retry.map((s) => ({ kind: 'site', site: moved.get(s.id)!, reason: `client ${s.id} moved` })),
    );
    return toResponse({ data: { ...first.data, ...second.data }, errors: [...first.errors, ...second.errors] });
  }

  private async fetchRoot(
    options: IncomingProcessOptions,
    parsed: ParsedOperation,
    fields: readonly RootField[],
    routes: readonly ResolvedRoute[],
    preferred?: SiteId,
  ): Promise<MergedResponse> {
    const operation = parsed.operation.operation;
    const plan = planRootRequests(fields, routes, operation, SITE_IDS, preferred, this.homeSite);
    const all = rootFields(parsed).length;
    const requestFor = (site: SiteId, subset: readonly RootField[]) => {
      const request = options.request;
      // the common case, one site for every field: the planner's operation as it is
      if (subset.length === all && plan.requests.length === 1) return this.ask(options, site, request);
      const { query, variables } = subsetOperation(parsed, subset, request.variables ?? {});
      return this.ask(options, site, { query, variables, operationName: request.operationName });
    };
    const answers: SiteAnswer[] = [];
    if (operation === 'mutation') {
      // root mutation fields run one after the other, as GraphQL requires
      for (const request of plan.requests) answers.push(await requestFor(request.site, request.fields));
    } else {
      answers.push(...(await Promise.all(plan.requests.map((r) => requestFor(r.site, r.fields)))));
    }
    return mergeRootAnswers(plan, answers);
  }

  // ---- sites and directory -----------------------------------------------------------------

  /**
   * The one site to ask for a whole `_entities` batch: when every entity in it is of a combined
   * type that one site can answer whole (its rule's `oneSite`), the caller's site (x-client-city)
   * or this gateway's own, with the header that asks for it.
   */
  private oneSiteOf(reps: readonly Representation[], routes: readonly EntityRoute[], context: GatewayContext): { site: SiteId; headers: Record<string, string> } | null {
    let answer: OneSiteAnswer | undefined;
    for (const [i, route] of routes.entries()) {
      if (route.kind !== 'combine') return null;
      const rule = this.rules.entities[String(reps[i]!.__typename)];
      const oneSite = rule?.by === 'combine' ? rule.oneSite : undefined;
      if (!oneSite || (answer && (answer.header !== oneSite.header || answer.value !== oneSite.value))) return null;
      answer = oneSite;
    }
    if (!answer) return null;
    const site = (context.clientCity === null ? undefined : siteOfCity(context.clientCity)) ?? this.homeSite ?? SITE_IDS[0];
    return { site, headers: { [answer.header]: answer.value } };
  }

  private async ask(options: IncomingProcessOptions, site: SiteId, request: SubgraphRequest, headers?: Readonly<Record<string, string>>): Promise<SiteAnswer> {
    const siteRequest: SubgraphRequest = {
      query: request.query,
      operationName: request.operationName,
      variables: request.variables,
      extensions: request.extensions,
      // RemoteGraphQLDataSource copies these headers into the fetch it makes
      ...(headers ? { http: { method: 'POST', url: '', headers: new Headers(headers) } as unknown as SubgraphRequest['http'] } : {}),
    };
    try {
      const response = await this.sites[site].process({ ...options, request: siteRequest });
      return { kind: 'response', site, data: response.data, errors: response.errors ?? [] };
    } catch (error) {
      return { kind: 'failure', site, failure: siteFailureOf(site, error) };
    }
  }

  /** Sites of clients (null: unknown); an empty answer when the directory cannot answer. */
  private async clientSites(ids: readonly string[]): Promise<Map<string, SiteId | null>> {
    if (ids.length === 0) return new Map();
    try {
      return await this.directory.sitesOf(ids);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      this.logger.warn(`[gateway] ${error.message}; looking for clients ${ids.join(', ')} at every site`);
      return new Map();
    }
  }

  /** Of clients last seen at a site, those the directory now places at another one. */
  private async movedClients(seen: readonly (readonly [string, SiteId])[]): Promise<Map<string, SiteId>> {
    let fresh: Map<string, SiteId | null>;
    try {
      fresh = await this.directory.refresh(seen.map(([id]) => id));
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      return new Map();
    }
    const moved = new Map<string, SiteId>();
    for (const [id, site] of seen) {
      const now = fresh.get(id);
      if (now && now !== site) moved.set(id, now);
    }
    return moved;
  }
}
