/**
 * Malformed and hostile requests against the public API, GraphQL and REST, each with the answer it
 * must get: the HTTP status, the error code (or none), never a 500, and every database exactly as
 * it was (row counts and checksums of stock, clients, orders, payments, ledgers, decisions,
 * prepared transactions, the directory and the products). Requests that need a token carry a valid
 * one, so that they reach the validation they aim at rather than stop at authentication.
 */
import { describe, expect, it } from 'vitest';
import { gatewayOrigin } from './support/cluster.ts';
import { fingerprint } from './support/invariants.ts';
import { adminToken, customerToken, mintToken } from './support/tokens.ts';

type Auth = 'none' | 'admin' | { readonly customer: string } | 'expired' | 'garbage';

interface HostileRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly auth?: Auth;
}

interface HostileCase {
  readonly name: string;
  readonly request: HostileRequest;
  readonly status: number;
  /** The error code the answer must carry; null: no error at all. */
  readonly code: string | null;
  /** Answered before any JSON could be: Node's HTTP parser refusing the request itself. */
  readonly bodyless?: boolean;
}

const SQL = ["1' OR '1'='1", "'; DROP TABLE stock; --", '1; DELETE FROM client WHERE 1=1', "' UNION SELECT email FROM client --"];
const LONG = 'x'.repeat(10_000);
const UNICODE = '\u202Eダカール🏙️\uFFFF';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const JSON_HEADERS = { 'content-type': 'application/json' };

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';
const REGISTER = 'mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }';
const RESTOCK = 'mutation($p: ID!, $s: Site!, $q: Int!) { restock(productId: $p, site: $s, quantity: $q) { quantity } }';

function gql(query: string, variables: Record<string, unknown> = {}, auth: Auth = 'none', headers: Record<string, string> = {}): HostileRequest {
  return { method: 'POST', path: '/graphql', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ query, variables }), auth };
}

function post(body: string, headers: Record<string, string> = JSON_HEADERS, auth: Auth = 'none'): HostileRequest {
  return { method: 'POST', path: '/graphql', headers, body, auth };
}

const rest = (path: string, auth: Auth = 'none', method: HostileRequest['method'] = 'GET'): HostileRequest => ({ method, path, auth });

/** An order for client 5 (Dakar), placed as that client. */
const order = (items: unknown, extra: Record<string, unknown> = {}, auth: Auth = { customer: '5' }) =>
  gql(PLACE, { i: { clientId: '5', items, ...extra } }, auth);

/** `order { client { orders { client { orders … id } } } } }`: depth 2 × pairs + 2. */
const nested = (pairs: number) => `{ order(id: "${UNKNOWN_UUID}") { ${'client { orders { '.repeat(pairs)}id${' } }'.repeat(pairs)} } }`;

const CASES: readonly HostileCase[] = [
  // ---- SQL injection in every text argument ----------------------------------------------------
  ...SQL.map((s): HostileCase => ({ name: `product(id) ${s}`, request: gql('query($id: ID!) { product(id: $id) { id } }', { id: s }), status: 200, code: null })),
  { name: 'client(id) SQL as admin', request: gql('query($id: ID!) { client(id: $id) { id } }', { id: SQL[0] }, 'admin'), status: 200, code: null },
  { name: 'client(id) SQL as a customer', request: gql('query($id: ID!) { client(id: $id) { id } }', { id: SQL[1] }, { customer: '5' }), status: 200, code: 'FORBIDDEN' },
  { name: 'clients(city) SQL', request: gql('query($c: String) { clients(city: $c) { id } }', { c: SQL[1] }, 'admin'), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'siteForCity SQL', request: gql('query($c: String!) { siteForCity(city: $c) }', { c: SQL[3] }), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'order(id) SQL', request: gql('query($id: ID!) { order(id: $id) { id } }', { id: SQL[0] }, 'admin'), status: 200, code: null },
  { name: 'placeOrder clientId SQL', request: gql(PLACE, { i: { clientId: SQL[0], items: [{ productId: '101', quantity: 1 }] } }, 'admin'), status: 200, code: 'UNKNOWN_CLIENT' },
  { name: 'placeOrder productId SQL', request: order([{ productId: SQL[1], quantity: 1 }]), status: 200, code: 'UNKNOWN_PRODUCT' },
  { name: 'placeOrder idempotencyKey SQL', request: order([{ productId: '107', quantity: 5000 }], { idempotencyKey: SQL[1] }), status: 200, code: 'OUT_OF_STOCK' },
  { name: 'cancelOrder id SQL', request: gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: SQL[2] }, { customer: '5' }), status: 200, code: 'NOT_FOUND' },
  { name: 'registerClient city SQL', request: gql(REGISTER, { i: { name: 'Test', city: SQL[1], email: 'sqli.city@example.com' } }), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'registerClient email SQL', request: gql(REGISTER, { i: { name: 'Test', city: 'Dakar', email: SQL[1] } }), status: 200, code: 'INVALID_EMAIL' },
  { name: 'registerClient name SQL, email taken', request: gql(REGISTER, { i: { name: SQL[1], city: 'Dakar', email: 'mndiaye@example.com' } }), status: 200, code: 'DUPLICATE_EMAIL' },
  { name: 'moveClient id SQL', request: gql('mutation($id: ID!) { moveClient(id: $id, city: "Thiès") { id } }', { id: SQL[0] }, 'admin'), status: 200, code: 'NOT_FOUND' },
  { name: 'moveClient city SQL', request: gql('mutation($c: String!) { moveClient(id: "5", city: $c) { id } }', { c: SQL[1] }, 'admin'), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'restock productId SQL', request: gql(RESTOCK, { p: SQL[1], s: 'DAKAR', q: 5 }, 'admin'), status: 200, code: 'NOT_FOUND' },
  { name: 'x-client-city header SQL', request: gql('{ clients { id } }', {}, 'admin', { 'x-client-city': encodeURIComponent(SQL[1]!) }), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'REST product id SQL', request: rest(`/api/products/${encodeURIComponent(SQL[0]!)}`), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST limit SQL', request: rest(`/api/products?limit=${encodeURIComponent('1; DROP TABLE produit')}`), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST city SQL', request: rest(`/api/products/101?city=${encodeURIComponent(SQL[3]!)}`), status: 400, code: 'UNKNOWN_CITY' },
  { name: 'REST site for city SQL', request: rest(`/api/sites/for-city/${encodeURIComponent(SQL[1]!)}`), status: 400, code: 'UNKNOWN_CITY' },

  // ---- unicode and very long strings -----------------------------------------------------------
  { name: 'siteForCity unicode', request: gql('query($c: String!) { siteForCity(city: $c) }', { c: UNICODE }), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'siteForCity 10 000 characters', request: gql('query($c: String!) { siteForCity(city: $c) }', { c: LONG }), status: 200, code: 'UNKNOWN_CITY' },
  { name: 'registerClient name 5 000 characters', request: gql(REGISTER, { i: { name: 'n'.repeat(5000), city: 'Dakar', email: 'long.name@example.com' } }), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'registerClient name with NUL', request: gql(REGISTER, { i: { name: 'Awa\u0000Diop', city: 'Dakar', email: 'nul.name@example.com' } }), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'registerClient email with NUL', request: gql(REGISTER, { i: { name: 'Awa', city: 'Dakar', email: 'nul\u0000@example.com' } }), status: 200, code: 'INVALID_EMAIL' },
  { name: 'registerClient email 300 characters', request: gql(REGISTER, { i: { name: 'Awa', city: 'Dakar', email: `${'e'.repeat(290)}@example.com` } }), status: 200, code: 'INVALID_EMAIL' },
  { name: 'placeOrder idempotencyKey with NUL', request: order([{ productId: '101', quantity: 1 }], { idempotencyKey: 'key\u0000' }), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'placeOrder idempotencyKey 10 000 characters', request: order([{ productId: '101', quantity: 1 }], { idempotencyKey: LONG }), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'product id 1 000 digits', request: gql('query($id: ID!) { product(id: $id) { id } }', { id: '9'.repeat(1000) }), status: 200, code: null },
  { name: 'REST city 2 000 characters', request: rest(`/api/products/101?city=${'é'.repeat(2000)}`), status: 400, code: 'UNKNOWN_CITY' },
  // past Node's 16 kB header limit the HTTP parser answers itself, before any route
  { name: 'a 30 kB URL', request: rest(`/api/products/101?city=${'é'.repeat(5000)}`), status: 431, code: null, bodyless: true },
  { name: 'REST city unicode', request: rest(`/api/sites/for-city/${encodeURIComponent(UNICODE)}`), status: 400, code: 'UNKNOWN_CITY' },

  // ---- quantities ------------------------------------------------------------------------------
  { name: 'quantity 0', request: order([{ productId: '101', quantity: 0 }]), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'quantity -1', request: order([{ productId: '101', quantity: -1 }]), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'quantity 1.5 (variable)', request: order([{ productId: '101', quantity: 1.5 }]), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'quantity 1.5 (literal)', request: gql('mutation { placeOrder(input: { clientId: "5", items: [{ productId: "101", quantity: 1.5 }] }) { order { id } } }', {}, { customer: '5' }), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'quantity 2^31', request: order([{ productId: '101', quantity: 2 ** 31 }]), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'quantity 2^31 - 1', request: order([{ productId: '101', quantity: 2 ** 31 - 1 }]), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'quantity as a string', request: order([{ productId: '101', quantity: '5' }]), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'quantity 1e400 (Infinity)', request: post(`{"query": ${JSON.stringify(PLACE)}, "variables": {"i": {"clientId": "5", "items": [{"productId": "101", "quantity": 1e400}]}}}`, JSON_HEADERS, { customer: '5' }), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'restock quantity 0', request: gql(RESTOCK, { p: '101', s: 'DAKAR', q: 0 }, 'admin'), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'restock quantity -5', request: gql(RESTOCK, { p: '101', s: 'DAKAR', q: -5 }, 'admin'), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'restock quantity 2^31 - 1', request: gql(RESTOCK, { p: '101', s: 'DAKAR', q: 2 ** 31 - 1 }, 'admin'), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'products limit -1', request: gql('{ products(limit: -1) { id } }'), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'products limit 2^31', request: gql('{ products(limit: 2147483648) { id } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'REST limit -1', request: rest('/api/products?limit=-1'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST limit 1.5', request: rest('/api/products?limit=1.5'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST limit 2^31', request: rest('/api/products?limit=2147483648'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST offset twice', request: rest('/api/products?offset=1&offset=2'), status: 400, code: 'BAD_USER_INPUT' },

  // ---- non-numeric and unknown ids -------------------------------------------------------------
  { name: 'product id abc', request: gql('{ product(id: "abc") { id } }'), status: 200, code: null },
  { name: 'client id -1 as admin', request: gql('{ client(id: "-1") { id } }', {}, 'admin'), status: 200, code: null },
  { name: 'order id not a uuid', request: gql('{ order(id: "not-a-uuid") { id } }', {}, 'admin'), status: 200, code: null },
  { name: 'cancel an unknown order', request: gql(`mutation { cancelOrder(id: "${UNKNOWN_UUID}") { id } }`, {}, { customer: '5' }), status: 200, code: 'NOT_FOUND' },
  { name: 'order for an unknown client', request: gql(PLACE, { i: { clientId: '999999', items: [{ productId: '101', quantity: 1 }] } }, 'admin'), status: 200, code: 'UNKNOWN_CLIENT' },
  { name: 'order for client abc', request: gql(PLACE, { i: { clientId: 'abc', items: [{ productId: '101', quantity: 1 }] } }, 'admin'), status: 200, code: 'UNKNOWN_CLIENT' },
  { name: 'order of an unknown product', request: order([{ productId: '999999', quantity: 1 }]), status: 200, code: 'UNKNOWN_PRODUCT' },
  { name: 'move an unknown client', request: gql('mutation { moveClient(id: "999999", city: "Thiès") { id } }', {}, 'admin'), status: 200, code: 'NOT_FOUND' },
  { name: 'REST product abc', request: rest('/api/products/abc'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'REST unknown product', request: rest('/api/products/987654'), status: 404, code: 'NOT_FOUND' },
  { name: 'REST malformed percent-encoding', request: rest('/api/products/%E0%A4%A'), status: 400, code: 'BAD_USER_INPUT' },

  // ---- orders: duplicates, size ------------------------------------------------------------------
  { name: 'duplicate lines past the line maximum', request: order([{ productId: '101', quantity: 6000 }, { productId: '101', quantity: 6000 }]), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'duplicate lines past the stock', request: order([{ productId: '107', quantity: 6 }, { productId: '107', quantity: 6 }]), status: 200, code: 'OUT_OF_STOCK' },
  { name: 'no lines', request: order([]), status: 200, code: 'INVALID_QUANTITY' },
  { name: 'an order of 1 000 lines', request: order(Array.from({ length: 1000 }, (_, i) => ({ productId: String(101 + (i % 60)), quantity: 1 }))), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'an order of 101 lines', request: order(Array.from({ length: 101 }, () => ({ productId: '101', quantity: 1 }))), status: 400, code: 'QUERY_TOO_COMPLEX' },

  // ---- enums and required fields ---------------------------------------------------------------
  { name: 'unknown payment method (variable)', request: order([{ productId: '101', quantity: 1 }], { paymentMethod: 'BITCOIN' }), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'unknown payment method (literal)', request: gql('mutation { placeOrder(input: { clientId: "5", items: [], paymentMethod: BITCOIN }) { order { id } } }', {}, { customer: '5' }), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'unknown site', request: gql('{ clients(site: MARS) { id } }', {}, 'admin'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'restock at an unknown site (variable)', request: gql(RESTOCK, { p: '101', s: 'mars', q: 5 }, 'admin'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'order without items', request: gql(PLACE, { i: { clientId: '5' } }, { customer: '5' }), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'order without client', request: gql(PLACE, { i: { items: [{ productId: '101', quantity: 1 }] } }, { customer: '5' }), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'registration without email', request: gql('mutation { registerClient(input: { name: "A", city: "Dakar" }) { id } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'product without id', request: gql('{ product { id } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'unknown field', request: gql('{ products { id password } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'an internal field through the gateway', request: gql('mutation { _commitPrepared(gid: "tg:order:x:dakar") }', {}, 'admin'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },

  // ---- invalid JSON and bodies -----------------------------------------------------------------
  { name: 'truncated JSON', request: post('{"query": "{ products { id } }"'), status: 400, code: 'BAD_REQUEST' },
  { name: 'not JSON at all', request: post('query { products { id } }'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a JSON string', request: post('"{ products { id } }"'), status: 400, code: 'BAD_REQUEST' },
  { name: 'an empty body', request: post(''), status: 400, code: 'BAD_REQUEST' },
  { name: 'no query', request: post('{"variables": {}}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'query is a number', request: post('{"query": 42}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'variables are a string', request: post('{"query": "{ products { id } }", "variables": "x"}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a batch of operations', request: post(JSON.stringify([{ query: '{ products { id } }' }, { query: '{ products { id } }' }])), status: 400, code: 'BAD_REQUEST' },
  { name: 'a syntax error', request: gql('{ products { id }'), status: 400, code: 'GRAPHQL_PARSE_FAILED' },

  // ---- content types ---------------------------------------------------------------------------
  { name: 'text/plain', request: post('{"query": "{ products { id } }"}', { 'content-type': 'text/plain' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form-urlencoded', request: post('query=%7B%20products%20%7B%20id%20%7D%20%7D', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'multipart', request: post('--b\r\n\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'application/xml', request: post('<query/>', { 'content-type': 'application/xml' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type', request: post('{"query": "{ products { id } }"}', {}), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON in an unknown charset', request: post('{"query": "{ products { id } }"}', { 'content-type': 'application/json; charset=klingon' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'GET without a CSRF-safe header', request: { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ products { id } }')}` }, status: 400, code: 'BAD_REQUEST' },
  { name: 'a mutation over GET', request: { method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { registerClient(input: { name: "A", city: "Dakar", email: "get@example.com" }) { id } }')}`, headers: { 'apollo-require-preflight': 'true' } }, status: 405, code: 'BAD_REQUEST' },
  { name: 'REST write', request: rest('/api/products/101', 'admin', 'PUT'), status: 404, code: 'NOT_FOUND' },

  // ---- oversized bodies ------------------------------------------------------------------------
  { name: 'a 200 kB body', request: gql('query($c: String!) { siteForCity(city: $c) }', { c: 'x'.repeat(200_000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a 2 MB body', request: post(JSON.stringify({ query: `{ products { id } } # ${'x'.repeat(2_000_000)}` })), status: 413, code: 'PAYLOAD_TOO_LARGE' },

  // ---- deep, wide and costly queries -----------------------------------------------------------
  { name: 'depth 14', request: gql(nested(6), {}, 'admin'), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'depth 42', request: gql(nested(20), {}, 'admin'), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: '50 aliases', request: gql(`{ ${Array.from({ length: 50 }, (_, i) => `p${i}: product(id: "101") { id }`).join(' ')} }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  {
    name: 'cost over the limit',
    request: gql(`{ ${Array.from({ length: 15 }, (_, i) => `c${i}: client(id: "${i + 1}") { id name city email site orders { id status total createdAt lines { product { id name price description } quantity unitPrice site } payment { status method amount reference } } }`).join(' ')} }`, {}, 'admin'),
    status: 400,
    code: 'QUERY_TOO_COMPLEX',
  },
  { name: '30 directives', request: gql(`{ products { ${Array.from({ length: 30 }, () => 'id @include(if: true)').join(' ')} } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: '5 000 tokens', request: gql(`{ products { ${'id '.repeat(5000)}} }`), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'a fragment cycle', request: gql('query { products { ...A } } fragment A on Product { id ...B } fragment B on Product { ...A }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },

  // ---- credentials -----------------------------------------------------------------------------
  { name: 'an expired token', request: gql('{ products(limit: 1) { id } }', {}, 'expired'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a garbage token', request: gql('{ products(limit: 1) { id } }', {}, 'garbage'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'basic credentials', request: gql('{ products(limit: 1) { id } }', {}, 'none', { authorization: 'Basic YWRtaW46YWRtaW4=' }), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'REST with a garbage token', request: rest('/api/products/101', 'garbage'), status: 401, code: 'UNAUTHENTICATED' },
];

async function authorization(auth: Auth | undefined): Promise<Record<string, string>> {
  if (auth === undefined || auth === 'none') return {};
  if (auth === 'garbage') return { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl' };
  const token =
    auth === 'admin'
      ? await adminToken()
      : auth === 'expired'
        ? await mintToken({ role: 'admin', subject: 'late' }, { now: Math.floor(Date.now() / 1000) - 3600, ttlSeconds: 60 })
        : await customerToken(auth.customer);
  return { authorization: `Bearer ${token}` };
}

/** Every code in an answer: GraphQL errors, an order's refusal, or the REST error. */
function codesOf(body: unknown): string[] {
  const codes: string[] = [];
  if (body === null || typeof body !== 'object') return codes;
  const { errors, data, error } = body as { errors?: { extensions?: { code?: unknown } }[]; data?: unknown; error?: { code?: unknown } };
  for (const e of errors ?? []) if (typeof e.extensions?.code === 'string') codes.push(e.extensions.code);
  if (typeof error?.code === 'string') codes.push(error.code);
  if (data && typeof data === 'object') {
    for (const value of Object.values(data)) {
      const refusal = (value as { error?: { code?: unknown } } | null)?.error;
      if (typeof refusal?.code === 'string') codes.push(refusal.code);
    }
  }
  return codes;
}

async function send(request: HostileRequest): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`${gatewayOrigin()}${request.path}`, {
    method: request.method,
    headers: { ...request.headers, ...(await authorization(request.auth)) },
    body: request.body,
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the assertions below say so
  }
  return { status: response.status, body, text };
}

describe('hostile input', () => {
  it('has a case for at least sixty requests, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, hostile) => {
    const before = await fingerprint();
    const { status, body, text } = await send(hostile.request);
    expect(status, text.slice(0, 500)).not.toBe(500);
    if (!hostile.bodyless) expect(body, `not a JSON answer: ${text.slice(0, 200)}`).not.toBeNull();
    expect(status, text.slice(0, 500)).toBe(hostile.status);
    const codes = codesOf(body);
    if (hostile.code === null) expect(codes, text.slice(0, 500)).toEqual([]);
    else expect(codes, text.slice(0, 500)).toContain(hostile.code);
    expect(codes, text.slice(0, 500)).not.toContain('INTERNAL_SERVER_ERROR');
    expect(await fingerprint()).toBe(before);
  });
});
