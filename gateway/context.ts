/**
 * The per-request context of the gateway: who is calling, from where, and the request id that
 * follows the request through every subgraph.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ANONYMOUS, type Principal } from '../lib/auth/principal.ts';
import { REQUEST_ID_HEADER } from '../lib/service/request-context.ts';
import type { RoutedFetch } from './routing-log.ts';
export const CLIENT_CITY_HEADER = 'x-client-city';
export const DEBUG_ROUTING_HEADER = 'x-teranga-debug-routing';

/**
 * Headers of the caller passed on to every subgraph, besides the request id. The bearer token goes
 * on as it came: each subgraph verifies it again rather than trusting the gateway's word.
 */
const FORWARDED_HEADERS = ['authorization', CLIENT_CITY_HEADER] as const;

// a type alias, not an interface: the data sources require a context assignable to Record<string, any>
export type GatewayContext = {
  readonly requestId: string;
  /** Who is calling, from the token the gateway verified (authentication.ts). */
  readonly principal: Principal;
  /** Sent to every subgraph as they came (plus `x-request-id`). */
  readonly forwardedHeaders: Readonly<Record<string, string>>;
  /** The caller's city from `x-client-city`, decoded; routes fields that name no site. */
  readonly clientCity: string | null;
  /** `x-teranga-debug-routing: 1`: the response lists the fetches the gateway made. */
  readonly debugRouting: boolean;
  /**
   * The subgraph fetches made for this request, appended as they go (routing-log.ts). An array
   * held by reference: Apollo Server copies the context object of an in-process operation.
   */
  readonly fetches: RoutedFetch[];
};

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Header values travel as bytes: a city with accents arrives percent-encoded ("Thi%C3%A8s"), or
 * as raw UTF-8 that Node decodes as Latin-1 ("ThiÃ¨s"). Both come back as "Thiès".
 */
export function decodeHeaderText(value: string): string {
  let text = value.trim();
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // not percent-encoding after all: keep the text as sent
    }
  }
  if (/[\u0080-\u00ff]/.test(text) && !/[^\u0000-\u00ff]/.test(text)) {
    const utf8 = Buffer.from(text, 'latin1').toString('utf8');
    if (!utf8.includes('\uFFFD')) text = utf8;
  }
  return text;
}

export function gatewayContext(headers: IncomingHttpHeaders, requestId: string, principal: Principal = ANONYMOUS): GatewayContext {
  const forwardedHeaders: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
  for (const name of FORWARDED_HEADERS) {
    const value = single(headers[name]);
    if (value !== undefined && value !== '') forwardedHeaders[name] = value;
  }
  const city = single(headers[CLIENT_CITY_HEADER]);
  return Object.freeze({
    requestId,
    principal,
    forwardedHeaders: Object.freeze(forwardedHeaders),
    clientCity: city ? decodeHeaderText(city) : null,
    debugRouting: ['1', 'true'].includes(single(headers[DEBUG_ROUTING_HEADER])?.trim().toLowerCase() ?? ''),
    fetches: [],
  });
}
