/**
 * Routing of `_entities` fetches: the planner sends one list of representations for a type and
 * field set, whatever site each entity lives at. The list is split into one batch per site, and
 * the answers are put back in the original order, error paths included
 * (`["_entities", i, …]` names the i-th representation of the request it came in).
 *
 * A product is held by no single site: each warehouse keeps its own stock of it (the vertical
 * fragment STOCK, fragmented again by site). Its entities are asked of every site and the answers
 * combined field by field: lists side by side in site order (`inventory`), counts summed
 * (`stock`), anything else from the first site that answered.
 */
import type { GraphQLFormattedError } from 'graphql';
import { SITE_IDS, siteByCode, type SiteId } from '../lib/sites.ts';
import { fromSite, siteFailureError, type ResponsePath } from './site-errors.ts';
import { isPresent, type MergedResponse, type SiteAnswer } from './site-answer.ts';

export type Representation = Readonly<Record<string, unknown>> & { readonly __typename?: unknown };

export type EntityRoute =
  | { readonly kind: 'site'; readonly site: SiteId }
  /** Every site; the first non-null answer wins. */
  | { readonly kind: 'all' }
  /** Null without asking any site (an unknown client). */
  | { readonly kind: 'none' }
  /** Every site, each holding its part of the entity: the answers are combined. */
  | { readonly kind: 'combine' };

/** Types every site holds a part of (see the module comment). */
export const COMBINED_TYPES: ReadonlySet<string> = new Set(['Product']);

/** Types whose key names their site (`StockLevel @key(fields: "productId site")`, `Order @key(fields: "id site")`). */
export function siteOfRepresentation(representation: Representation): SiteId | undefined {
  const code = representation.site;
  return typeof code === 'string' ? siteByCode(code)?.id : undefined;
}

export function isClientRepresentation(representation: Representation): boolean {
  return representation.__typename === 'Client' && isPresent(representation.id);
}

/**
 * Routes one representation: a combined type to every site; else by its `site` key field, else
 * by the client directory's answer for a `Client` (`clientSites`: null = unknown client, absent =
 * the directory could not answer), else to every site.
 */
export function routeRepresentation(
  representation: Representation,
  clientSites: ReadonlyMap<string, SiteId | null>,
): EntityRoute {
  if (typeof representation.__typename === 'string' && COMBINED_TYPES.has(representation.__typename)) return { kind: 'combine' };
  const site = siteOfRepresentation(representation);
  if (site) return { kind: 'site', site };
  if (isClientRepresentation(representation)) {
    const known = clientSites.get(String(representation.id));
    if (known === null) return { kind: 'none' };
    if (known !== undefined) return { kind: 'site', site: known };
  }
  return { kind: 'all' };
}

export interface EntityBatch {
  readonly site: SiteId;
  /** Indices into the original representations, in their original order. */
  readonly indices: readonly number[];
}

/** One batch per site that has at least one entity, in site order. */
export function splitRepresentations(routes: readonly EntityRoute[], sites: readonly SiteId[] = SITE_IDS): EntityBatch[] {
  return sites
    .map((site) => ({
      site,
      indices: routes.flatMap((route, i) => (route.kind === 'all' || route.kind === 'combine' || (route.kind === 'site' && route.site === site) ? [i] : [])),
    }))
    .filter((batch) => batch.indices.length > 0);
}

function entityIndex(error: GraphQLFormattedError): number | undefined {
  const [head, index] = error.path ?? [];
  return head === '_entities' && typeof index === 'number' ? index : undefined;
}

type EntityData = Readonly<Record<string, unknown>>;

const isEntityData = (value: unknown): value is EntityData => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One entity from the parts every site answered, in site order (null: the site gave nothing).
 * `gaps` are the paths, relative to the entity, of the values a missing part leaves unknown.
 */
export function combineParts(parts: readonly (EntityData | null)[]): { value: EntityData | null; gaps: ResponsePath[][] } {
  const present = parts.filter(isEntityData);
  const gaps: ResponsePath[][] = parts.map(() => []);
  if (present.length === 0) return { value: null, gaps };
  const value: Record<string, unknown> = {};
  for (const key of new Set(present.flatMap((part) => Object.keys(part)))) {
    const values = present.map((part) => part[key]);
    if (values.some(Array.isArray)) {
      // one list per site, side by side; a site that gave none leaves a null in its place
      const list: unknown[] = [];
      parts.forEach((part, p) => {
        const mine = part?.[key];
        if (Array.isArray(mine)) list.push(...(mine as unknown[]));
        else {
          gaps[p]!.push([key, list.length]);
          list.push(null);
        }
      });
      value[key] = list;
    } else if (values.some((v) => typeof v === 'number')) {
      // a total with a part missing is unknown, not smaller
      const numbers = parts.map((part) => part?.[key]);
      const complete = numbers.every((n) => typeof n === 'number');
      value[key] = complete ? (numbers as number[]).reduce((sum, n) => sum + n, 0) : null;
      numbers.forEach((n, p) => {
        if (typeof n !== 'number') gaps[p]!.push([key]);
      });
    } else {
      value[key] = values.find(isPresent) ?? null;
    }
  }
  return { value, gaps };
}

/**
 * Puts the batches' answers back in the original order. An entity asked of several sites takes
 * the first non-null answer and only that site's errors, or, for a combined type, the parts of
 * every site with the errors of each; a failed site gives each of its entities null (or its part
 * of a combined entity unknown) and an error at that path.
 */
export function mergeEntityAnswers(count: number, batches: readonly EntityBatch[], answers: readonly SiteAnswer[], routes?: readonly EntityRoute[]): MergedResponse {
  const entities: unknown[] = new Array<unknown>(count).fill(null);
  const errors: GraphQLFormattedError[] = [];
  const candidates: { answer: SiteAnswer; local: number }[][] = Array.from({ length: count }, () => []);
  batches.forEach((batch, b) => batch.indices.forEach((index, local) => candidates[index]!.push({ answer: answers[b]!, local })));

  const errorsAt = (answer: SiteAnswer, local: number, index: number): GraphQLFormattedError[] => {
    if (answer.kind === 'failure') return [siteFailureError(answer.site, answer.failure, ['_entities', index])];
    return answer.errors
      .filter((e) => entityIndex(e) === local)
      .map((e) => fromSite(e, answer.site, ['_entities', index, ...e.path!.slice(2)]));
  };
  const valueOf = (answer: SiteAnswer, local: number): unknown => {
    if (answer.kind !== 'response') return null;
    const list = answer.data?._entities;
    return Array.isArray(list) ? (list[local] ?? null) : null;
  };

  candidates.forEach((from, index) => {
    if (routes?.[index]?.kind === 'combine') {
      const parts = from.map(({ answer, local }) => {
        const part = valueOf(answer, local);
        return isEntityData(part) ? part : null;
      });
      const { value, gaps } = combineParts(parts);
      entities[index] = value;
      from.forEach(({ answer, local }, p) => {
        // a failed site's error goes where its part is missing; a site's own errors stay as they came
        if (answer.kind === 'failure' && value !== null && gaps[p]!.length > 0) {
          errors.push(...gaps[p]!.map((gap) => siteFailureError(answer.site, answer.failure, ['_entities', index, ...gap])));
        } else {
          errors.push(...errorsAt(answer, local, index));
        }
      });
      return;
    }
    const found = from.find(({ answer, local }) => isPresent(valueOf(answer, local)));
    if (found) {
      entities[index] = valueOf(found.answer, found.local);
      errors.push(...errorsAt(found.answer, found.local, index));
    } else {
      errors.push(...from.flatMap(({ answer, local }) => errorsAt(answer, local, index)));
    }
  });

  // errors that name no entity, once per answer
  for (const answer of answers) {
    if (answer.kind !== 'response') continue;
    for (const error of answer.errors) if (entityIndex(error) === undefined) errors.push(fromSite(error, answer.site));
  }
  return { data: { _entities: entities }, errors };
}
