/**
 * The data source of every subgraph: passes the caller's request id and identity on, records the
 * fetch for the routing log, and gives up on a subgraph that does not answer in time.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { SiteId } from '../lib/sites.ts';
import type { GatewayContext } from './context.ts';
import { recordFetch } from './routing-log.ts';
import { subgraphFetcher, SubgraphUnreachableError } from './subgraph-fetcher.ts';
import { DEADLINE_HEADER } from '../lib/deadline.ts';

export type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
export type SubgraphRequest = ProcessOptions['request'];
export type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']>>;
/** A fetch of an operation the gateway is executing (not a health check or a schema load). */
export type IncomingProcessOptions = Extract<ProcessOptions, { incomingRequestContext: unknown }>;

// @apollo/gateway types the request kinds with an enum it does not export at run time
export function isIncomingOperation(options: ProcessOptions): options is IncomingProcessOptions {
  return 'incomingRequestContext' in options;
}

/** Generous: `placeOrder` runs a two-phase commit across three sites behind one fetch. */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 15_000;

export interface ForwardingDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  readonly subgraph: string;
  readonly url: string;
  readonly timeoutMs?: number;
}

export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly subgraph: string;

  private readonly timeoutMs: number;

  constructor(options: ForwardingDataSourceOptions) {
    super({ url: options.url });
    this.subgraph = options.subgraph;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS;
    this.fetcher = subgraphFetcher(this.timeoutMs);
  }

  override willSendRequest(options: ProcessOptions): void {
    if (!isIncomingOperation(options)) return;
    const context = options.incomingRequestContext.context;
    const headers = options.request.http?.headers;
    if (headers) {
      for (const [name, value] of Object.entries(context.forwardedHeaders)) headers.set(name, value);
      // the moment this fetch gives up: the subgraph fits its work inside it (lib/deadline.ts)
      headers.set(DEADLINE_HEADER, String(Date.now() + this.timeoutMs));
    }
    recordFetch(context, { subgraph: this.subgraph, site: this.siteOf(options.request) });
  }

  /**
   * A subgraph that cannot be reached fails its fetch with a stable code (503 in the REST API)
   * rather than an internal error whose message production hides.
   */
  override didEncounterError(error: Error): void {
    if (error instanceof SubgraphUnreachableError) {
      throw new GraphQLError(`The ${this.subgraph} service cannot be reached: ${error.reason}`, {
        extensions: { code: 'SITE_UNAVAILABLE', service: this.subgraph },
      });
    }
    throw error;
  }

  /** The site a request goes to, for subgraphs served by one process per site. */
  protected siteOf(_request: SubgraphRequest): SiteId | null {
    return null;
  }
}
