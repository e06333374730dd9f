/**
 * Routing of the root fields of a sharded fetch. The query planner routes by type and field,
 * so one fetch may hold several root fields (with aliases) that live at different sites; each
 * field is routed by the routing keys its rule declares (sharding-rules.ts), else by its rule's
 * fallback. The caller's city (`x-client-city`) only chooses the site of a field any site answers
 * alike: it never narrows what a field returns.
 *
 * Everything here is pure: the client directory is consulted by the caller, which turns a
 * `client` route into a `site` route (or `any` for an unknown client).
 */
import { valueFromASTUntyped, type GraphQLFormattedError, type OperationTypeNode } from 'graphql';
import { TerangaError, type ErrorCode } from '../lib/errors.ts';
import { placement, unknownCity } from '../lib/placement.ts';
import { SITE_IDS, siteByCode, type SiteId } from '../lib/sites.ts';
import { fromSite, siteFailureError, type ResponsePath } from './site-errors.ts';
import { isPresent, type MergedResponse, type SiteAnswer } from './site-answer.ts';
import { isExcluded, type RootField, type Variables } from './operation-subset.ts';
import type { RootFieldRule, RootMerge } from './sharding-rules.ts';

export type FieldRoute =
  /** Exactly this site. */
  | { readonly kind: 'site'; readonly site: SiteId; readonly reason: string }
  /** The site of this client, from the directory. */
  | { readonly kind: 'client'; readonly id: string }
  /** Every site, the answers merged as the field's rule says. */
  | { readonly kind: 'all'; readonly reason: string; readonly merge: RootMerge }
  /** Any one site gives the same answer (`__typename`, an unknown city the region will refuse, a skipped field). */
  | { readonly kind: 'any' }
  /** Answered null by the gateway without calling any site. */
  | { readonly kind: 'none' }
  /** Not routable: the field gets null and this error. */
  | { readonly kind: 'reject'; readonly code: ErrorCode; readonly message: string };

/** `query`, `mutation` or `subscription`. */
export type OperationKind = `${OperationTypeNode}`;

export interface RoutingInput {
  readonly operation: OperationKind;
  /** The operation's variables, defaults of absent ones included (effectiveVariables). */
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
export function siteOfCity(city: string): SiteId | undefined {
  try {
    return placement(city).site;
  } catch (error) {
    if (error instanceof TerangaError && error.code === 'UNKNOWN_CITY') return undefined;
    throw error;
  }
}

/**
 * Routes one root field by its rule. `rule` is undefined for a field the rules do not know,
 * which the gateway's start-up check makes impossible for the public schema.
 */
export function routeRootField(field: RootField, rule: RootFieldRule | undefined, input: RoutingInput): FieldRoute {
  if (field.name === '__typename') return { kind: 'any' };
  // a field its conditions leave out is sent along only to keep the operation valid
  if (isExcluded(field, input.variables)) return { kind: 'any' };
  if (!rule) {
    return { kind: 'reject', code: 'INTERNAL_SERVER_ERROR', message: `No routing rule for root field ${field.name}` };
  }
  const args = argumentValues(field, input.variables);
  for (const key of rule.keys) {
    const value = args[key.argument];
    if (!isPresent(value)) continue;
    const text = String(value);
    switch (key.by) {
      case 'client':
        return { kind: 'client', id: text };
      case 'site': {
        const site = siteByCode(text);
        if (site) return { kind: 'site', site: site.id, reason: `${key.argument}: ${text}` };
        continue;
      }
      case 'city': {
        const site = siteOfCity(text);
        // the region answers an unknown city with its own error
        return site ? { kind: 'site', site, reason: `${key.argument}: ${text}` } : { kind: 'any' };
      }
    }
  }
  if (input.clientCity !== null && !siteOfCity(input.clientCity)) {
    return {
      kind: 'reject',
      code: 'UNKNOWN_CITY',
      message: `${unknownCity(input.clientCity).message} (in the x-client-city header)`,
    };
  }
  switch (rule.otherwise) {
    case 'every-site':
      if (input.operation !== 'query') return mutationNotRoutable(field);
      return { kind: 'all', reason: `${field.name}: no routing argument`, merge: rule.merge ?? 'first' };
    case 'any-site':
      return { kind: 'any' };
    case 'refuse':
      return mutationNotRoutable(field);
  }
}

function mutationNotRoutable(field: RootField): Extract<FieldRoute, { kind: 'reject' }> {
  return {
    kind: 'reject',
    code: 'BAD_USER_INPUT',
    message: `${field.name} must reach exactly one site, and nothing names one: give it the argument that names its site.`,
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
  /** How the answers of several sites to a field are merged, by response key. */
  readonly merges: ReadonlyMap<string, RootMerge>;
  /** Fields answered without any site: null, with an error when rejected. */
  readonly unrouted: readonly { readonly field: RootField; readonly error?: GraphQLFormattedError }[];
}

/**
 * Groups the routed fields into per-site requests. A query sends one request per site, all in
 * parallel. A mutation keeps GraphQL's serial execution of root fields: consecutive fields for
 * the same site share a request, and the requests run in field order. An `any` field goes to
 * `preferred` (the caller's site) when given, else rides along with a site asked anyway, else goes
 * to `home` (the gateway's own site).
 */
export function planRootRequests(
  fields: readonly RootField[],
  routes: readonly ResolvedRoute[],
  operation: OperationKind,
  sites: readonly SiteId[] = SITE_IDS,
  preferred?: SiteId,
  home?: SiteId,
): RootPlan {
  const unrouted: { field: RootField; error?: GraphQLFormattedError }[] = [];
  const merges = new Map<string, RootMerge>();
  fields.forEach((field, i) => {
    const route = routes[i]!;
    if (route.kind === 'all') merges.set(field.responseKey, route.merge);
  });
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
  const anySite = preferred ?? sites.find((s) => used.has(s)) ?? home ?? sites[0]!;
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
    return { requests, merges, unrouted };
  }
  const requests = sites
    .map((site) => ({ site, fields: fields.filter((_, i) => targets[i]!.includes(site)) }))
    .filter((r) => r.fields.length > 0);
  return { requests, merges, unrouted };
}

const keyOf = (error: GraphQLFormattedError): string | number | undefined => error.path?.[0];

/**
 * Merges the answers of a root plan into one response, as if one server had answered:
 * - a field asked of one site takes that site's value and errors;
 * - a field asked of several sites, by its rule: `concat` puts their lists end to end in site
 *   order (shifting list indices in error paths), `first` takes the first non-null value,
 *   keeping only the errors of the site that had it;
 * - a field no site answered (left out by `@include` / `@skip`) stays out of `data`;
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
    const merged = mergeField(key, from, plan.merges.get(key) ?? 'first');
    if (merged.absent) continue;
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

interface MergedField {
  readonly value: unknown;
  readonly errors: GraphQLFormattedError[];
  /** No site put the key in its data, and none failed: the field was left out. */
  readonly absent?: boolean;
}

function mergeField(key: string, from: readonly SiteAnswer[], merge: RootMerge): MergedField {
  const path: ResponsePath = [key];
  const answeredKey = (a: SiteAnswer) => a.kind === 'response' && (a.data == null || Object.prototype.hasOwnProperty.call(a.data, key));
  const omitted = (a: SiteAnswer) => a.kind === 'response' && a.data != null && !Object.prototype.hasOwnProperty.call(a.data, key);
  if (from.every(omitted) && !from.some(answeredKey)) {
    const errors = from.flatMap(errorsOfKey(key));
    if (errors.length === 0) return { value: undefined, errors, absent: true };
  }
  const errorsOf = (answer: SiteAnswer): GraphQLFormattedError[] =>
    answer.kind === 'failure'
      ? [siteFailureError(answer.site, answer.failure, path)]
      : answer.errors.filter((e) => keyOf(e) === key).map((e) => fromSite(e, answer.site));

  if (from.length === 1) {
    const answer = from[0]!;
    return { value: answer.kind === 'response' ? (answer.data?.[key] ?? null) : null, errors: errorsOf(answer) };
  }

  const values = from.map((a) => (a.kind === 'response' ? a.data?.[key] : undefined));
  if (merge === 'concat') {
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
    // no site gave its list (each refused or failed): the field is null with every site's error, not an empty list
    return { value: values.some(Array.isArray) ? value : null, errors };
  }

  const found = values.findIndex(isPresent);
  if (found >= 0) return { value: values[found], errors: errorsOf(from[found]!) };
  return { value: null, errors: from.flatMap(errorsOf) };
}

function errorsOfKey(key: string) {
  return (answer: SiteAnswer): GraphQLFormattedError[] => (answer.kind === 'response' ? answer.errors.filter((e) => keyOf(e) === key) : []);
}
