/**
 * Routing of `_entities` fetches: the planner sends one list of representations for a type and
 * field set, whatever site each entity lives at. The list is split into one batch per site, and
 * the answers are put back in the original order, error paths included
 * (`["_entities", i, …]` names the i-th representation of the request it came in).
 *
 * Each type is routed by its rule (sharding-rules.ts): by a key field holding a Site code, by the
 * client directory, or to every site. A type every site holds a part of (a product: each
 * warehouse keeps its own stock of it) is asked of every site and the parts combined field by
 * field as its rule declares (`inventory` end to end in site order, `stock` summed); a field the
 * rule does not name is one every site holds alike (a key, `__typename`).
 */
import { Kind, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import { SITE_IDS, siteByCode, type SiteId } from '../lib/sites.ts';
import type { ParsedOperation } from './operation-subset.ts';
import type { EntityRule, PartMerge, ShardingRules } from './sharding-rules.ts';
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
  | { readonly kind: 'combine'; readonly type: string };

function ruleOf(rules: ShardingRules, representation: Representation): EntityRule | undefined {
  return typeof representation.__typename === 'string' ? rules.entities[representation.__typename] : undefined;
}

/** The client id of a representation whose type is routed by the client directory. */
export function clientIdOf(rules: ShardingRules, representation: Representation): string | undefined {
  const rule = ruleOf(rules, representation);
  if (rule?.by !== 'client') return undefined;
  const id = representation[rule.field];
  return isPresent(id) ? String(id) : undefined;
}

/**
 * Routes one representation by its type's rule: a combined type to every site; a key field
 * holding a Site code to that site; a client id by the directory's answer (`clientSites`: null =
 * unknown client, absent = the directory could not answer); anything else to every site.
 */
export function routeRepresentation(
  representation: Representation,
  rules: ShardingRules,
  clientSites: ReadonlyMap<string, SiteId | null>,
): EntityRoute {
  const rule = ruleOf(rules, representation);
  if (rule?.by === 'combine') return { kind: 'combine', type: String(representation.__typename) };
  if (rule?.by === 'site') {
    const code = representation[rule.field];
    const site = typeof code === 'string' ? siteByCode(code)?.id : undefined;
    if (site) return { kind: 'site', site };
  }
  const clientId = clientIdOf(rules, representation);
  if (clientId !== undefined) {
    const known = clientSites.get(clientId);
    if (known === null) return { kind: 'none' };
    if (known !== undefined) return { kind: 'site', site: known };
  }
  return { kind: 'all' };
}

/** How each response key of a combined type's part is merged: the field's rule, aliases resolved. */
export type PartRules = (type: string) => (responseKey: string) => PartMerge;

/**
 * The merge of each response key the `_entities` operation selects on each combined type, read
 * from its `... on Type` fragments (named or inline), so an alias merges as its field does.
 */
export function partRulesOf(parsed: ParsedOperation, rules: ShardingRules): PartRules {
  const byType = new Map<string, Map<string, string>>();
  const collect = (type: string | undefined, set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '_entities' && selection.selectionSet) collect(undefined, selection.selectionSet);
        else if (type) {
          const keys = byType.get(type) ?? new Map<string, string>();
          keys.set(selection.alias?.value ?? selection.name.value, selection.name.value);
          byType.set(type, keys);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.typeCondition?.name.value ?? type, selection.selectionSet);
      } else {
        const fragment = parsed.fragments.get(selection.name.value);
        if (fragment) collect(fragment.typeCondition.name.value, fragment.selectionSet);
      }
    }
  };
  collect(undefined, parsed.operation.selectionSet);
  return (type) => {
    const rule = rules.entities[type];
    const merge = rule?.by === 'combine' ? rule.merge : {};
    const fields = byType.get(type);
    return (key) => merge[fields?.get(key) ?? key] ?? 'same';
  };
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
export function combineParts(
  parts: readonly (EntityData | null)[],
  mergeOf: (responseKey: string) => PartMerge,
): { value: EntityData | null; gaps: ResponsePath[][] } {
  const present = parts.filter(isEntityData);
  const gaps: ResponsePath[][] = parts.map(() => []);
  if (present.length === 0) return { value: null, gaps };
  const value: Record<string, unknown> = {};
  for (const key of new Set(present.flatMap((part) => Object.keys(part)))) {
    const values = present.map((part) => part[key]);
    const merge = mergeOf(key);
    if (merge === 'concat') {
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
    } else if (merge === 'sum') {
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
export function mergeEntityAnswers(
  count: number,
  batches: readonly EntityBatch[],
  answers: readonly SiteAnswer[],
  routes?: readonly EntityRoute[],
  partRules?: PartRules,
): MergedResponse {
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
    const route = routes?.[index];
    if (route?.kind === 'combine') {
      const parts = from.map(({ answer, local }) => {
        const part = valueOf(answer, local);
        return isEntityData(part) ? part : null;
      });
      const { value, gaps } = combineParts(parts, partRules?.(route.type) ?? (() => 'same'));
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
