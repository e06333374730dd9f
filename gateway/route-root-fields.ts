/**
 * Routing of the root fields of a `regions` fetch. The query planner routes by type and field,
 * so one fetch may hold several root fields (with aliases) that live at different sites; each
 * field is routed by its arguments, else by the caller's location, else — for queries only —
 * to every site.
 *
 * Everything here is pure: the client directory is consulted by the caller, which turns a
 * `client` route into a `site` route (or `none` for an unknown client).
 */
import { valueFromASTUntyped, type GraphQLFormattedError, type OperationTypeNode } from 'graphql';
import { TerangaError, type ErrorCode } from '../lib/errors.ts';
import { placement } from '../lib/placement.ts';
import { SITE_IDS, siteByCode, type SiteId } from '../lib/sites.ts';
import { fromSite, siteFailureError, type ResponsePath } from './site-errors.ts';
import { isPresent, type MergedResponse, type SiteAnswer } from './site-answer.ts';
import type { RootField, Variables } from './operation-subset.ts';

export type FieldRoute =
  /** Exactly this site. */
  | { readonly kind: 'site'; readonly site: SiteId; readonly reason: string }
  /** The site of this client, from the directory. */
  | { readonly kind: 'client'; readonly id: string }
  /** Every site; lists are concatenated, anything else is the first non-null answer. */
  | { readonly kind: 'all'; readonly reason: string }
  /** Any one site gives the same answer (`__typename`, an unknown city the region will refuse). */
  | { readonly kind: 'any' }
  /** Answered null by the gateway without calling any site (an unknown client). */
  | { readonly kind: 'none' }
  /** Not routable: the field gets null and this error. */
  | { readonly kind: 'reject'; readonly code: ErrorCode; readonly message: string };

/** `query`, `mutation` or `subscription`. */
export type OperationKind = `${OperationTypeNode}`;

export interface RoutingInput {
  readonly operation: OperationKind;
  readonly variables: Variables;
  /** The caller's city (the `x-client-city` header), if any. */
  readonly clientCity: string | null;
}

/** The field's argument values, literals and variables alike (absent variables are undefined). */
export function argumentValues(field: RootField, variables: Variables): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const argument of field.node.arguments ?? []) {
    values[argument.name.value] = valueFromASTUntyped(argument.value, variables as Record<string, unknown>);
  }
  return values;
}

/** A city's site, or undefined when the city is not in the placement table. */
function siteOfCity(city: string): SiteId | undefined {
  try {
    return placement(city).site;
  } catch (error) {
    if (error instanceof TerangaError && error.code === 'UNKNOWN_CITY') return undefined;
    throw error;
  }
}

/**
 * Fields whose routing does not follow the generic `site` / `city` arguments. `client(id)` goes
 * to its client's site only; order ids do not name their site, so `order(id)` asks every site
 * and keeps the one that has it.
 */
const FIELD_RULES: Readonly<Record<string, (args: Record<string, unknown>) => FieldRoute | undefined>> = {
  client: (args) => (isPresent(args.id) ? { kind: 'client', id: String(args.id) } : undefined),
  order: () => ({ kind: 'all', reason: 'order ids do not name their site' }),
};

export function routeRootField(field: RootField, input: RoutingInput): FieldRoute {
  if (field.name === '__typename') return { kind: 'any' };
  const args = argumentValues(field, input.variables);
  const special = FIELD_RULES[field.name]?.(args);
  if (special) return special;

  if (typeof args.site === 'string') {
    const site = siteByCode(args.site);
    if (site) return { kind: 'site', site: site.id, reason: `site: ${args.site}` };
  }
  if (typeof args.city === 'string') {
    const site = siteOfCity(args.city);
    // the region answers an unknown city with its own error
    return site ? { kind: 'site', site, reason: `city: ${args.city}` } : { kind: 'any' };
  }
  if (input.clientCity !== null) {
    const site = siteOfCity(input.clientCity);
    if (!site) {
      return {
        kind: 'reject',
        code: 'UNKNOWN_CITY',
        message: `Unknown city "${input.clientCity}" in the x-client-city header: it is not in Teranga's placement table`,
      };
    }
    return { kind: 'site', site, reason: `x-client-city: ${input.clientCity}` };
  }
  if (input.operation === 'query') return { kind: 'all', reason: `${field.name} has no routing argument` };
  return mutationNotRoutable(field);
}

function mutationNotRoutable(field: RootField): Extract<FieldRoute, { kind: 'reject' }> {
  return {
    kind: 'reject',
    code: 'BAD_USER_INPUT',
    message:
      `Mutation ${field.name} must reach exactly one site, and nothing names one: ` +
      'give it a `site` or `city` argument, or send the caller\'s city in the x-client-city header.',
  };
}

/** A route once the directory has answered: no `client` routes left. */
export type ResolvedRoute = Exclude<FieldRoute, { kind: 'client' }>;

/** A mutation may only change one site per field: a field that would reach every site is refused. */
export function enforceMutationRoute(field: RootField, route: ResolvedRoute, operation: OperationKind): ResolvedRoute {
  return operation === 'mutation' && route.kind === 'all' ? mutationNotRoutable(field) : route;
}

export interface SiteRequestPlan {
  readonly site: SiteId;
  readonly fields: readonly RootField[];
}

export interface RootPlan {
  /** Requests to send; for a mutation, in order, one after the other. */
  readonly requests: readonly SiteRequestPlan[];
  /** Fields answered without any site: null, with an error when rejected. */
  readonly unrouted: readonly { readonly field: RootField; readonly error?: GraphQLFormattedError }[];
}

/**
 * Groups the routed fields into per-site requests. A query sends one request per site, all in
 * parallel. A mutation keeps GraphQL's serial execution of root fields: consecutive fields for
 * the same site share a request, and the requests run in field order.
 */
export function planRootRequests(
  fields: readonly RootField[],
  routes: readonly ResolvedRoute[],
  operation: OperationKind,
  sites: readonly SiteId[] = SITE_IDS,
): RootPlan {
  const unrouted: { field: RootField; error?: GraphQLFormattedError }[] = [];
  const targets: SiteId[][] = fields.map((field, i) => {
    const route = routes[i]!;
    switch (route.kind) {
      case 'site':
        return [route.site];
      case 'all':
        return [...sites];
      case 'any':
        return [];
      case 'none':
        unrouted.push({ field });
        return [];
      case 'reject':
        unrouted.push({ field, error: { message: route.message, path: [field.responseKey], extensions: { code: route.code } } });
        return [];
    }
  });
  // `any` fields ride along with a site that is asked anyway
  const used = new Set(targets.flat());
  const anySite = sites.find((s) => used.has(s)) ?? sites[0]!;
  fields.forEach((_, i) => {
    if (routes[i]!.kind === 'any') targets[i] = [anySite];
  });

  if (operation === 'mutation') {
    const requests: { site: SiteId; fields: RootField[] }[] = [];
    fields.forEach((field, i) => {
      const site = targets[i]![0];
      if (site === undefined) return;
      const last = requests.at(-1);
      if (last && last.site === site) last.fields.push(field);
      else requests.push({ site, fields: [field] });
    });
    return { requests, unrouted };
  }
  const requests = sites
    .map((site) => ({ site, fields: fields.filter((_, i) => targets[i]!.includes(site)) }))
    .filter((r) => r.fields.length > 0);
  return { requests, unrouted };
}

const keyOf = (error: GraphQLFormattedError): string | number | undefined => error.path?.[0];

/**
 * Merges the answers of a root plan into one response, as if one server had answered:
 * - a field asked of one site takes that site's value and errors;
 * - a field asked of several sites concatenates their lists in site order (shifting list
 *   indices in error paths), or else takes the first non-null value, keeping only the errors of
 *   the site that had it;
 * - a site that failed leaves its fields null (or its part of a list missing) with an error at
 *   the field's path.
 */
export function mergeRootAnswers(plan: RootPlan, answers: readonly SiteAnswer[]): MergedResponse {
  const data: Record<string, unknown> = {};
  const errors: GraphQLFormattedError[] = [];
  const keys = new Set<string>();

  for (const { field, error } of plan.unrouted) {
    keys.add(field.responseKey);
    data[field.responseKey] = null;
    if (error) errors.push(error);
  }

  const contributions = new Map<string, SiteAnswer[]>();
  plan.requests.forEach((request, i) => {
    for (const field of request.fields) {
      keys.add(field.responseKey);
      const list = contributions.get(field.responseKey) ?? [];
      if (!list.includes(answers[i]!)) list.push(answers[i]!);
      contributions.set(field.responseKey, list);
    }
  });

  for (const [key, from] of contributions) {
    const merged = mergeField(key, from);
    data[key] = merged.value;
    errors.push(...merged.errors);
  }

  // errors that belong to no field (no path): reported once per answer
  for (const answer of new Set(answers)) {
    if (answer.kind !== 'response') continue;
    for (const error of answer.errors) {
      const key = keyOf(error);
      if (typeof key !== 'string' || !keys.has(key)) errors.push(fromSite(error, answer.site));
    }
  }
  return { data, errors };
}

function mergeField(key: string, from: readonly SiteAnswer[]): { value: unknown; errors: GraphQLFormattedError[] } {
  const path: ResponsePath = [key];
  const errorsOf = (answer: SiteAnswer): GraphQLFormattedError[] =>
    answer.kind === 'failure'
      ? [siteFailureError(answer.site, answer.failure, path)]
      : answer.errors.filter((e) => keyOf(e) === key).map((e) => fromSite(e, answer.site));

  if (from.length === 1) {
    const answer = from[0]!;
    return { value: answer.kind === 'response' ? (answer.data?.[key] ?? null) : null, errors: errorsOf(answer) };
  }

  const values = from.map((a) => (a.kind === 'response' ? a.data?.[key] : undefined));
  if (values.some(Array.isArray)) {
    const value: unknown[] = [];
    const errors: GraphQLFormattedError[] = [];
    from.forEach((answer, i) => {
      const offset = value.length;
      if (answer.kind === 'failure') {
        errors.push(...errorsOf(answer));
        return;
      }
      for (const error of errorsOf(answer)) {
        const index = error.path?.[1];
        errors.push(typeof index === 'number' ? { ...error, path: [key, index + offset, ...error.path!.slice(2)] } : error);
      }
      const list = values[i];
      if (Array.isArray(list)) value.push(...(list as unknown[]));
    });
    return { value, errors };
  }

  const found = values.findIndex(isPresent);
  if (found >= 0) return { value: values[found], errors: errorsOf(from[found]!) };
  return { value: null, errors: from.flatMap(errorsOf) };
}
