/**
 * What the gateway itself saw lately, for the console: the last requests with the sites that
 * served them, and the last orders placed through it. Bounded rings in memory: a restart forgets
 * them, and nothing about a caller beyond its kind is kept (no token, no client id, city or email).
 */
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { GatewayContext } from '../context.ts';
import { routedFetches, sitesReached, type RoutedFetch } from '../routing-log.ts';
import type { SiteId } from '../../lib/sites.ts';

export interface RecentRequest {
  readonly at: string;
  readonly requestId: string;
  readonly operation: string;
  readonly kind: 'query' | 'mutation' | 'subscription' | 'unknown';
  readonly caller: string;
  readonly durationMs: number;
  /** Each subgraph fetch, with its site for the regions subgraph. */
  readonly fetches: readonly RoutedFetch[];
  readonly sites: readonly SiteId[];
  readonly errorCodes: readonly string[];
}

export interface RecentOrder {
  readonly at: string;
  readonly requestId: string;
  readonly orderId: string | null;
  readonly status: string | null;
  /** The refusal's code, for an order that was not placed. */
  readonly error: string | null;
  /** Warehouses the order's lines drew on, when the answer listed them; else the sites the request reached. */
  readonly sites: readonly string[];
  readonly durationMs: number;
}

const REQUESTS_KEPT = 30;
const ORDERS_KEPT = 15;

interface PlaceOrderAnswer {
  order?: { id?: unknown; status?: unknown; lines?: { site?: unknown }[] | null } | null;
  error?: { code?: unknown } | null;
}

/** The caller's kind only: a customer's id is theirs to know, not the console's readers'. */
function callerOf(context: GatewayContext): string {
  return context.principal.kind;
}

export class RecentActivity {
  private readonly requests: RecentRequest[] = [];
  private readonly orders: RecentOrder[] = [];
  private readonly started = new WeakMap<GatewayContext, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Marks when a request began (its duration is measured from there). */
  begin(context: GatewayContext): void {
    this.started.set(context, this.now());
  }

  record(request: GraphQLRequestContextWillSendResponse<GatewayContext>, fetches: readonly RoutedFetch[]): void {
    const { contextValue, response, operation, operationName } = request;
    const end = this.now();
    const durationMs = end - (this.started.get(contextValue) ?? end);
    const result = response.body.kind === 'single' ? response.body.singleResult : null;
    const errorCodes = (result?.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    const sites = sitesReached(fetches);
    const at = new Date(end).toISOString();
    push(this.requests, REQUESTS_KEPT, {
      at,
      requestId: contextValue.requestId,
      operation: operationName ?? firstField(operation) ?? '(anonymous)',
      kind: operation?.operation ?? 'unknown',
      caller: callerOf(contextValue),
      durationMs,
      fetches: [...fetches],
      sites,
      errorCodes,
    });
    const placed = (result?.data as { placeOrder?: PlaceOrderAnswer } | null | undefined)?.placeOrder;
    if (operation?.operation === 'mutation' && placed !== undefined) {
      const lineSites = (placed?.order?.lines ?? []).map((l) => String(l.site ?? '')).filter((s) => s !== '');
      push(this.orders, ORDERS_KEPT, {
        at,
        requestId: contextValue.requestId,
        orderId: placed?.order?.id == null ? null : String(placed.order.id),
        status: placed?.order?.status == null ? null : String(placed.order.status),
        error: placed?.error?.code == null ? (errorCodes[0] ?? null) : String(placed.error.code),
        sites: lineSites.length > 0 ? [...new Set(lineSites)] : sites,
        durationMs,
      });
    }
  }

  latestRequests(): readonly RecentRequest[] {
    return [...this.requests].reverse();
  }

  latestOrders(): readonly RecentOrder[] {
    return [...this.orders].reverse();
  }
}

function firstField(operation: GraphQLRequestContextWillSendResponse<GatewayContext>['operation']): string | undefined {
  const selection = operation?.selectionSet.selections[0];
  return selection?.kind === 'Field' ? selection.name.value : undefined;
}

function push<T>(ring: T[], size: number, item: T): void {
  ring.push(item);
  if (ring.length > size) ring.splice(0, ring.length - size);
}

/** Feeds every GraphQL request the gateway answers (REST ones too) into the activity rings. */
export function activityPlugin(activity: RecentActivity): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      activity.begin(contextValue);
      return {
        async willSendResponse(request) {
          activity.record(request, routedFetches(request.contextValue));
        },
      };
    },
  };
}
