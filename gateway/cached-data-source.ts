/**
 * The data source of a subgraph whose query answers the gateway may reuse for a short while
 * (entity-cache.ts): the products subgraph, whose answers are the same for every caller. A hit
 * makes no fetch, so the routing log lists none; mutations and answers with errors always go
 * through.
 */
import { EntityCache } from './entity-cache.ts';
import { ForwardingDataSource, isIncomingOperation, type ForwardingDataSourceOptions, type ProcessOptions, type SubgraphResponse } from './forwarding-data-source.ts';

export interface CachedDataSourceOptions extends ForwardingDataSourceOptions {
  readonly cache: EntityCache<SubgraphResponse>;
}

/** A read: the gateway writes its fetches as `query Name__subgraph__n(…){…}` or `{…}`. */
function isQuery(options: ProcessOptions): boolean {
  const operation = isIncomingOperation(options) ? options.document?.definitions.find((d) => d.kind === 'OperationDefinition') : undefined;
  if (operation && operation.kind === 'OperationDefinition') return operation.operation === 'query';
  return /^\s*(query\b|\{)/.test(options.request.query ?? '');
}

export class CachedDataSource extends ForwardingDataSource {
  private readonly cache: EntityCache<SubgraphResponse>;

  constructor(options: CachedDataSourceOptions) {
    super(options);
    this.cache = options.cache;
  }

  override process(options: ProcessOptions): Promise<SubgraphResponse> {
    if (!this.cache.enabled || !isIncomingOperation(options) || !isQuery(options)) return super.process(options);
    const key = `${options.request.query}\n${JSON.stringify(options.request.variables ?? {})}`;
    return this.cache.get(
      key,
      // the HTTP response object is neither needed nor copyable: only the GraphQL answer is kept
      async () => {
        const { http: _http, ...answer } = await super.process(options);
        return answer;
      },
      (answer) => !answer.errors?.length && answer.data != null,
    );
  }
}
