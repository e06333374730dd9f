/**
 * The REST API's OpenAPI 3.1 document, served at /api/openapi.json and rendered at /api/docs.
 * Error statuses come from the error registry, so the document and the answers cannot disagree.
 */
import { ERROR_CODES, type ErrorCode } from '../../lib/errors.ts';
import { SITE_IDS, SITES } from '../../lib/sites.ts';

/** The parts of OpenAPI 3.1 this document uses. */
export interface SchemaObject {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | readonly ('object' | 'array' | 'string' | 'integer' | 'null')[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly required?: readonly string[];
  readonly items?: SchemaObject;
  readonly enum?: readonly (string | null)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly examples?: readonly unknown[];
  readonly $ref?: string;
  readonly oneOf?: readonly SchemaObject[];
  readonly additionalProperties?: boolean;
}

export interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: SchemaObject;
  readonly example?: unknown;
}

export interface ReferenceObject {
  readonly $ref: string;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: SchemaObject }>>;
  readonly content?: Readonly<Record<string, { readonly schema: SchemaObject; readonly examples?: Readonly<Record<string, { readonly summary?: string; readonly value: unknown }>> }>>;
}

export interface OperationObject {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly (ParameterObject | ReferenceObject)[];
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers: readonly { readonly url: string; readonly description?: string }[];
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, { readonly get: OperationObject }>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, SchemaObject>>;
    readonly parameters: Readonly<Record<string, ParameterObject>>;
  };
}

const SITE_CODES = SITE_IDS.map((id) => SITES[id].code);
const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

/** What each error code's answer looks like, for the examples. */
const ERROR_EXAMPLES: Partial<Record<ErrorCode, Record<string, unknown>>> = {
  BAD_USER_INPUT: { message: 'limit must be a whole number, got "ten"' },
  UNKNOWN_CITY: { message: 'Unknown city "Thiess": did you mean Thiès?', city: 'Thiess', suggestions: ['Thiès'] },
  UNAUTHENTICATED: { message: 'The token has expired' },
  NOT_FOUND: { message: 'No product with id 999' },
  SITE_UNAVAILABLE: { message: 'Site THIES cannot be reached: ECONNREFUSED', site: 'THIES' },
};

/** An error answer for each code, with the status the registry gives it and an example of each. */
function errorResponses(...codes: ErrorCode[]): Record<string, ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\`: ${ERROR_CODES[c].description}`).join(' '),
        content: {
          'application/json': {
            schema: ref('Error'),
            examples: Object.fromEntries(
              list.map((c) => [c, { summary: ERROR_CODES[c].description, value: { error: { code: c, message: c, ...ERROR_EXAMPLES[c] } } }]),
            ),
          },
        },
      },
    ]),
  );
}

const requestIdHeader = {
  'x-request-id': { description: 'The request id, as sent by the caller or generated; it follows the request through every service.', schema: { type: 'string' } },
  'x-teranga-sites': { description: 'The sites whose processes served the answer, comma-separated (`DAKAR,THIES,SAINT_LOUIS`).', schema: { type: 'string' } },
} as const;

const json = (schema: SchemaObject) => ({ 'application/json': { schema } });

export const OPENAPI_DOCUMENT: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Teranga REST API',
    version: '1.0.0',
    description:
      'Read access to the Teranga catalogue and its sites. Every answer is read through the same federated GraphQL ' +
      'pipeline as `/graphql`, so both APIs return the same data. Errors are `{ "error": { "code", "message" } }` ' +
      'with the codes of the GraphQL API (`extensions.code`). The catalogue is public: no token is needed, but a ' +
      '`Authorization: Bearer` token that is sent must be valid (401 `UNAUTHENTICATED` otherwise).',
  },
  servers: [{ url: '/api', description: 'This gateway' }],
  tags: [
    { name: 'products', description: 'The catalogue, with the stock of every warehouse.' },
    { name: 'sites', description: 'The sites and the cities they serve.' },
  ],
  paths: {
    '/products': {
      get: {
        operationId: 'listProducts',
        summary: 'Products, ordered by id',
        tags: ['products'],
        parameters: [
          { name: 'limit', in: 'query', description: 'At most this many products (default 50; more than 200 is capped at 200).', schema: { type: 'integer', minimum: 0 } },
          { name: 'offset', in: 'query', description: 'Skip this many products first (default 0).', schema: { type: 'integer', minimum: 0 } },
          { $ref: '#/components/parameters/city' },
          { $ref: '#/components/parameters/clientCity' },
        ],
        responses: {
          '200': {
            description: 'A page of products.',
            headers: requestIdHeader,
            content: json({
              type: 'object',
              required: ['products', 'limit', 'offset'],
              properties: {
                products: { type: 'array', items: ref('Product') },
                limit: { type: 'integer', description: 'The limit applied: the one asked for, 50 when none was, 200 when more was asked.' },
                offset: { type: 'integer' },
              },
            }),
          },
          ...errorResponses('BAD_USER_INPUT', 'UNKNOWN_CITY', 'UNAUTHENTICATED', 'SITE_UNAVAILABLE'),
        },
      },
    },
    '/products/{id}': {
      get: {
        operationId: 'getProduct',
        summary: 'One product, with its stock per warehouse and at the warehouse nearest to the caller',
        tags: ['products'],
        parameters: [
          { name: 'id', in: 'path', required: true, description: 'The product id (a whole number).', schema: { type: 'string', pattern: '^\\d+$' }, example: '101' },
          { $ref: '#/components/parameters/city' },
          { $ref: '#/components/parameters/clientCity' },
        ],
        responses: {
          '200': { description: 'The product.', headers: requestIdHeader, content: json(ref('Product')) },
          ...errorResponses('BAD_USER_INPUT', 'UNKNOWN_CITY', 'UNAUTHENTICATED', 'NOT_FOUND', 'SITE_UNAVAILABLE'),
        },
      },
    },
    '/sites/for-city/{city}': {
      get: {
        operationId: 'siteForCity',
        summary: 'The site that serves a city (the nearest by great-circle distance)',
        tags: ['sites'],
        parameters: [
          { name: 'city', in: 'path', required: true, description: 'A city of Senegal, any case or accents.', schema: { type: 'string' }, example: 'Kaolack' },
        ],
        responses: {
          '200': {
            description: 'The site.',
            headers: requestIdHeader,
            content: json({
              type: 'object',
              required: ['city', 'site'],
              properties: { city: { type: 'string', description: 'The city as asked.' }, site: ref('Site') },
            }),
          },
          ...errorResponses('UNKNOWN_CITY', 'UNAUTHENTICATED', 'SITE_UNAVAILABLE'),
        },
      },
    },
  },
  components: {
    parameters: {
      city: {
        name: 'city',
        in: 'query',
        description: 'The caller\'s city, for `nearest`; takes precedence over the `x-client-city` header.',
        schema: { type: 'string' },
        example: 'Thiès',
      },
      clientCity: {
        name: 'x-client-city',
        in: 'header',
        description: 'The caller\'s city, for `nearest` (percent-encode accents: `Thi%C3%A8s`).',
        schema: { type: 'string' },
      },
    },
    schemas: {
      Site: { type: 'string', enum: SITE_CODES, description: 'A site, with its own database and warehouse.' },
      StockLevel: {
        type: 'object',
        required: ['site', 'quantity'],
        properties: { site: ref('Site'), quantity: { type: ['integer', 'null'], minimum: 0, description: 'Null when the warehouse\'s site cannot be reached.' } },
      },
      Product: {
        type: 'object',
        required: ['id', 'name', 'description', 'price', 'stock', 'inventory', 'unavailableSites', 'nearest'],
        properties: {
          id: { type: 'string', examples: ['101'] },
          name: { type: 'string', examples: ['Ordinateur HP'] },
          description: { type: ['string', 'null'] },
          price: { type: 'integer', description: 'Price in FCFA (no minor unit).' },
          stock: { type: ['integer', 'null'], description: 'Total stock over all warehouses: the sum of `inventory`.' },
          inventory: { type: 'array', description: 'The stock at each warehouse, in site order.', items: ref('StockLevel') },
          unavailableSites: {
            type: 'array',
            items: ref('Site'),
            description: 'Warehouses whose site could not be reached: their quantity is null and `stock` is unknown (null). The rest of the answer stands.',
          },
          nearest: {
            type: ['object', 'null'],
            description: 'The stock at the warehouse of the site serving the caller\'s city; null when no city was given.',
            required: ['site', 'quantity'],
            properties: { site: ref('Site'), quantity: { type: ['integer', 'null'] } },
          },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', description: 'A stable code, as in the GraphQL API\'s `extensions.code`.', enum: Object.keys(ERROR_CODES) },
              message: { type: 'string' },
              suggestions: { type: 'array', items: { type: 'string' }, description: 'For `UNKNOWN_CITY`: the closest known cities.' },
              city: { type: 'string', description: 'For `UNKNOWN_CITY`: the city as given.' },
              site: ref('Site'),
            },
          },
        },
      },
    },
  },
};
