/**
 * Routing of `_entities` fetches: the planner sends one list of representations for a type and
 * field set, whatever site each entity lives at. The list is split into one batch per site, and
 * the answers are put back in the original order, error paths included
 * (`["_entities", i, …]` names the i-th representation of the request it came in).
 */
import type { GraphQLFormattedError } from 'graphql';
import { SITE_IDS, siteByCode, type SiteId } from '../lib/sites.ts';
import { fromSite, siteFailureError } from './site-errors.ts';
import { isPresent, type MergedResponse, type SiteAnswer } from './site-answer.ts';

export type Representation = Readonly<Record<string, unknown>> & { readonly __typename?: unknown };

export type EntityRoute =
  | { readonly kind: 'site'; readonly site: SiteId }
  /** Every site; the first non-null answer wins. */
  | { readonly kind: 'all' }
  /** Null without asking any site (an unknown client). */
  | { readonly kind: 'none' };

/** Types whose key names their site (`StockLevel @key(fields: "productId site")`, `Order @key(fields: "id site")`). */
export function siteOfRepresentation(representation: Representation): SiteId | undefined {
  const code = representation.site;
  return typeof code === 'string' ? siteByCode(code)?.id : undefined;
}

export function isClientRepresentation(representation: Representation): boolean {
  return representation.__typename === 'Client' && isPresent(representation.id);
}

/**
 * Routes one representation: by its `site` key field, else by the client directory's answer for
 * a `Client` (`clientSites`: null = unknown client, absent = the directory could not answer),
 * else to every site.
 */
export function routeRepresentation(
  representation: Representation,
  clientSites: ReadonlyMap<string, SiteId | null>,
): EntityRoute {
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
      indices: routes.flatMap((route, i) => (route.kind === 'all' || (route.kind === 'site' && route.site === site) ? [i] : [])),
    }))
    .filter((batch) => batch.indices.length > 0);
}

function entityIndex(error: GraphQLFormattedError): number | undefined {
  const [head, index] = error.path ?? [];
  return head === '_entities' && typeof index === 'number' ? index : undefined;
}

/**
 * Puts the batches' answers back in the original order. An entity asked of several sites takes
 * the first non-null answer and only that site's errors; a failed site gives each of its
 * entities null and an error at `["_entities", i]`.
 */
export function mergeEntityAnswers(count: number, batches: readonly EntityBatch[], answers: readonly SiteAnswer[]): MergedResponse {
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
