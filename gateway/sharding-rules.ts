/**
 * How the sharded subgraph is routed and how its per-site answers are merged, as data: which
 * argument of a root field names its site (a Site code, a city, a client id), where a field
 * with no such argument goes, and how each field of a type every site holds a part of is combined.
 * The table of the `regions` subgraph sits beside its SDL (schema/regions.routing.ts); the
 * gateway checks it against the supergraph at start (`checkShardingRules`), so a field added to
 * the SDL without a rule, or a rule naming an argument that does not exist, stops the gateway
 * with its name instead of being routed by a guess.
 */
import { buildASTSchema, getNamedType, isListType, isNonNullType, isObjectType, parse, type ConstDirectiveNode, type GraphQLField, type GraphQLSchema, type GraphQLType } from 'graphql';

/** An argument whose value decides the site. */
export interface RoutingKey {
  readonly argument: string;
  /** `site`: a Site code (DAKAR…); `city`: the city's site by placement; `client`: the client directory. */
  readonly by: 'site' | 'city' | 'client';
}

/**
 * A field whose routing keys are all absent (or null):
 * - `every-site`: asked of every site, answers merged by `merge`;
 * - `any-site`: every site answers alike; the caller's site (`x-client-city`) if it names one;
 * - `refuse`: null and BAD_USER_INPUT (a write must reach exactly one site).
 */
export type Fallback = 'every-site' | 'any-site' | 'refuse';

/** How the answers of several sites to one root field become one: lists end to end in site order, or the first non-null. */
export type RootMerge = 'concat' | 'first';

export interface RootFieldRule {
  /** Tried in order; the first present one decides. */
  readonly keys: readonly RoutingKey[];
  readonly otherwise: Fallback;
  /** Required when `otherwise` is `every-site`. */
  readonly merge?: RootMerge;
}

/** How a field of a combined entity is made from every site's part. */
export type PartMerge =
  /** One list per site, end to end in site order; a missing site's place is null. */
  | 'concat'
  /** The sum of every site's number; null when a site's part is missing. */
  | 'sum'
  /** Every site holds the same value (keys, fields the entity came with): the first present. */
  | 'same';

export type EntityRule =
  /** The representation's key field holds a Site code. */
  | { readonly by: 'site'; readonly field: string }
  /** The representation's key field is a client id: the client directory names its site. */
  | { readonly by: 'client'; readonly field: string }
  /** Every site is asked; the first non-null answer wins. */
  | { readonly by: 'every-site' }
  /**
   * Every site holds a part: every site is asked and the parts combined field by field. With
   * `oneSite`, one site asked with that header answers the whole entity instead (from local
   * copies of the others' parts); its answer is used only when it has no error, else every site
   * is asked for its part.
   */
  | { readonly by: 'combine'; readonly merge: Readonly<Record<string, PartMerge>>; readonly oneSite?: OneSiteAnswer };

/** The request header that makes one site answer every site's part of a combined entity. */
export interface OneSiteAnswer {
  readonly header: string;
  readonly value: string;
}

export interface ShardingRules {
  /** By `Type.field` of the root types (`Query.clients`, `Mutation.restock`). */
  readonly rootFields: Readonly<Record<string, RootFieldRule>>;
  /** By entity type name. */
  readonly entities: Readonly<Record<string, EntityRule>>;
}

export class ShardingRulesError extends Error {
  constructor(
    readonly subgraph: string,
    readonly problems: readonly string[],
  ) {
    super(`The routing rules of subgraph "${subgraph}" do not match the supergraph:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ShardingRulesError';
  }
}

/** The rule of a root field, by its parent type (`Query`, `Mutation`) and name. */
export function rootFieldRule(rules: ShardingRules, parent: string, field: string): RootFieldRule | undefined {
  return rules.rootFields[`${parent}.${field}`];
}

/** The `join__Graph` enum value of a subgraph, read from `@join__graph(name:)`. */
function graphEnumValue(schema: GraphQLSchema, subgraph: string): string | undefined {
  const graphs = schema.getType('join__Graph');
  if (!graphs || !('getValues' in graphs)) return undefined;
  return graphs.getValues().find((value) => {
    const directive = value.astNode?.directives?.find((d) => d.name.value === 'join__graph');
    const name = directive?.arguments?.find((a) => a.name.value === 'name')?.value;
    return name?.kind === 'StringValue' && name.value === subgraph;
  })?.name;
}

function enumArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === 'EnumValue' ? value.value : undefined;
}

function booleanArgument(directive: ConstDirectiveNode, name: string): boolean {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === 'BooleanValue' && value.value;
}

function directivesOf(node: { readonly directives?: readonly ConstDirectiveNode[] } | null | undefined, name: string): ConstDirectiveNode[] {
  return (node?.directives ?? []).filter((d) => d.name.value === name);
}

/** The fields the subgraph resolves on a type (not @external), read from the join directives. */
function resolvedFields(type: { getFields(): Record<string, GraphQLField<unknown, unknown>>; astNode?: { directives?: readonly ConstDirectiveNode[] } | null }, graph: string) {
  const typeGraphs = directivesOf(type.astNode, 'join__type').map((d) => enumArgument(d, 'graph'));
  if (!typeGraphs.includes(graph)) return [];
  return Object.values(type.getFields()).filter((field) => {
    const joins = directivesOf(field.astNode, 'join__field');
    if (directivesOf(field.astNode, 'inaccessible').length > 0) return false;
    // no @join__field: every subgraph that declares the type resolves the field
    if (joins.length === 0) return true;
    return joins.some((d) => enumArgument(d, 'graph') === graph && !booleanArgument(d, 'external'));
  });
}

function keyFieldsOf(type: { astNode?: { directives?: readonly ConstDirectiveNode[] } | null }, graph: string): Set<string> | undefined {
  const keys = directivesOf(type.astNode, 'join__type').filter((d) => enumArgument(d, 'graph') === graph);
  const withKey = keys.filter((d) => d.arguments?.some((a) => a.name.value === 'key'));
  if (withKey.length === 0) return undefined;
  const names = new Set<string>();
  for (const d of withKey) {
    const key = d.arguments!.find((a) => a.name.value === 'key')!.value;
    if (key.kind === 'StringValue') for (const name of key.value.split(/[\s{}]+/).filter(Boolean)) names.add(name);
  }
  return names;
}

const isList = (type: GraphQLType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * Every rule matches the supergraph, and every public root field and entity type the sharded
 * subgraph resolves has one.
 * @throws ShardingRulesError listing every mismatch
 */
export function checkShardingRules(supergraphSdl: string, subgraph: string, rules: ShardingRules): void {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const graph = graphEnumValue(schema, subgraph);
  if (!graph) throw new ShardingRulesError(subgraph, [`the supergraph has no subgraph named "${subgraph}"`]);
  const problems: string[] = [];
  const roots = { Query: schema.getQueryType(), Mutation: schema.getMutationType() };

  for (const [name, root] of Object.entries(roots)) {
    if (!root) continue;
    for (const field of resolvedFields(root, graph)) {
      if (!rules.rootFields[`${name}.${field.name}`]) problems.push(`${name}.${field.name} has no routing rule`);
    }
  }
  for (const [coordinate, rule] of Object.entries(rules.rootFields)) {
    const [parent, name] = coordinate.split('.');
    const root = parent === 'Query' || parent === 'Mutation' ? roots[parent] : undefined;
    const field = root?.getFields()[name ?? ''];
    if (!field) {
      problems.push(`${coordinate} is not a root field of the supergraph`);
      continue;
    }
    for (const key of rule.keys) {
      if (!field.args.some((a) => a.name === key.argument)) problems.push(`${coordinate} has no argument "${key.argument}"`);
    }
    if (rule.otherwise === 'every-site' && !rule.merge) problems.push(`${coordinate} is asked of every site but declares no merge`);
    if (rule.merge === 'concat' && !isList(field.type)) problems.push(`${coordinate} is merged by concat but is not a list`);
    if (parent === 'Mutation' && rule.otherwise === 'every-site') problems.push(`${coordinate} is a mutation: it cannot be sent to every site`);
  }

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const keys = keyFieldsOf(type, graph);
    const rule = rules.entities[type.name];
    if (keys && !rule) problems.push(`entity ${type.name} has no routing rule`);
    if (!rule) continue;
    if (!keys) {
      problems.push(`entity ${type.name} has no @key in "${subgraph}"`);
      continue;
    }
    if ((rule.by === 'site' || rule.by === 'client') && !keys.has(rule.field)) problems.push(`entity ${type.name} is routed by "${rule.field}", which is not a key field`);
    if (rule.by === 'combine') {
      for (const field of resolvedFields(type, graph)) {
        if (!keys.has(field.name) && !rule.merge[field.name]) problems.push(`${type.name}.${field.name} is combined from every site but declares no merge`);
      }
      for (const [name, merge] of Object.entries(rule.merge)) {
        const field = type.getFields()[name];
        if (!field) problems.push(`${type.name}.${name} does not exist`);
        else if (merge === 'concat' && !isList(field.type)) problems.push(`${type.name}.${name} is merged by concat but is not a list`);
        else if (merge === 'sum' && !['Int', 'Float'].includes(getNamedType(field.type).name)) problems.push(`${type.name}.${name} is merged by sum but is not a number`);
      }
    }
  }
  for (const name of Object.keys(rules.entities)) {
    if (!schema.getType(name)) problems.push(`entity ${name} does not exist`);
  }
  if (problems.length > 0) throw new ShardingRulesError(subgraph, problems);
}
