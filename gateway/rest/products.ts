/**
 * `GET /api/products` and `GET /api/products/:id`: a product's general information, price, total
 * stock, stock per warehouse, and the stock at the warehouse nearest to the caller (from `?city=`
 * or the `x-client-city` header).
 */
import type { RequestHandler } from 'express';
import { appliedLimit } from '../../lib/domain/catalogue-page.ts';
import { placement } from '../../lib/placement.ts';
import { SITE_IDS, SITES, type SiteCode } from '../../lib/sites.ts';
import { CLIENT_CITY_HEADER, decodeHeaderText } from '../context.ts';
import { RestError } from './errors.ts';
import { dataDespiteSites, type Execute } from './execute.ts';

export interface StockLevel {
  readonly site: SiteCode;
  readonly quantity: number;
}

export interface ProductInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly price: number;
  readonly stock: number | null;
  readonly inventory: readonly (StockLevel | null)[];
}

export interface RestProduct extends Omit<ProductInfo, 'inventory'> {
  /** One level per warehouse, in site order; an unreachable warehouse's quantity is null. */
  readonly inventory: readonly { readonly site: SiteCode; readonly quantity: number | null }[];
  /** Warehouses that could not be asked: their stock is unknown, and so is the total. */
  readonly unavailableSites: readonly SiteCode[];
  /** Stock at the warehouse of the site serving the caller's city; null without a city. */
  readonly nearest: { readonly site: SiteCode; readonly quantity: number | null } | null;
}

const PRODUCT_FIELDS = 'id name description price stock inventory { site quantity }';
export const PRODUCT_QUERY = `query RestProduct($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;
export const PRODUCTS_QUERY = `query RestProducts($limit: Int, $offset: Int) { products(limit: $limit, offset: $offset) { ${PRODUCT_FIELDS} } }`;

const WHOLE_NUMBER = /^\d{1,9}$/;

function wholeNumber(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !WHOLE_NUMBER.test(raw)) {
    throw new RestError('BAD_USER_INPUT', `${name} must be a whole number, got "${String(raw)}"`);
  }
  return Number(raw);
}

/** The caller's city: `?city=` first, else the `x-client-city` header. */
function callerCity(query: unknown, header: string | undefined): string | null {
  if (typeof query === 'string' && query.trim() !== '') return query.trim();
  if (header && header.trim() !== '') return decodeHeaderText(header);
  return null;
}

/**
 * The REST shape of a product: the reachable warehouses' levels, the unreachable ones with a null
 * quantity and listed in `unavailableSites`, and the stock nearest the caller's city.
 * @throws TerangaError UNKNOWN_CITY
 */
function restProduct(product: ProductInfo, unavailable: ReadonlySet<string>, city: string | null): RestProduct {
  const present = new Map(product.inventory.filter((l): l is StockLevel => l !== null).map((l) => [l.site, l.quantity]));
  const codes = SITE_IDS.map((id) => SITES[id].code);
  const inventory = codes
    .filter((code) => present.has(code) || unavailable.has(code))
    .map((site) => ({ site, quantity: present.get(site) ?? null }));
  const unavailableSites = codes.filter((code) => unavailable.has(code) && !present.has(code));
  const base = { ...product, inventory, unavailableSites };
  if (city === null) return { ...base, nearest: null };
  const site = SITES[placement(city).site].code;
  return { ...base, nearest: { site, quantity: present.get(site) ?? null } };
}

const NONE: ReadonlySet<string> = new Set();

export function listProducts(execute: Execute): RequestHandler {
  return async (req, res) => {
    const limit = wholeNumber('limit', req.query.limit);
    const offset = wholeNumber('offset', req.query.offset);
    const city = callerCity(req.query.city, req.header(CLIENT_CITY_HEADER));
    if (city !== null) placement(city);
    const { data, unavailable } = dataDespiteSites(await execute<{ products: ProductInfo[] }>(req, res, PRODUCTS_QUERY, { limit, offset }), 'products');
    res.json({
      products: data.products.map((p, i) => restProduct(p, unavailable.get(String(i)) ?? NONE, city)),
      limit: appliedLimit(limit),
      offset: offset ?? 0,
    });
  };
}

export function getProduct(execute: Execute): RequestHandler {
  return async (req, res) => {
    const id = req.params.id;
    if (typeof id !== 'string' || !WHOLE_NUMBER.test(id)) {
      throw new RestError('BAD_USER_INPUT', `A product id is a whole number, got "${String(id)}"`);
    }
    const city = callerCity(req.query.city, req.header(CLIENT_CITY_HEADER));
    // an unknown city is the caller's mistake whatever the product: refuse it before any fetch
    if (city !== null) placement(city);
    const { data, unavailable } = dataDespiteSites(await execute<{ product: ProductInfo | null }>(req, res, PRODUCT_QUERY, { id }), 'product');
    if (!data.product) throw new RestError('NOT_FOUND', `No product with id ${id}`);
    res.json(restProduct(data.product, unavailable.get('') ?? NONE, city));
  };
}
