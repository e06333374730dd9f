/**
 * A corpus of read queries generated from the public schema: every root query field, with each
 * of its argument sets, under several selection sets, written in several ways that must all mean
 * the same — arguments as literals, as variables given, as variables left to their defaults;
 * aliases, two aliased copies with different arguments in one operation; named fragments on the
 * root and on the returned type; inline fragments with `@include` and fields with `@skip`, with
 * their conditions given or defaulted.
 */
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';

export interface CorpusQuery {
  readonly name: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** Sent with the query: the caller's city, which must choose sites without changing the answer. */
  readonly headers?: Record<string, string>;
}

/** Argument values to try, by `field.argument`; an argument with none is left out. */
export type ArgumentPools = Readonly<Record<string, readonly unknown[]>>;

type Args = Record<string, unknown>;

function literal(type: GraphQLType, value: unknown): string {
  const named = getNamedType(type);
  if (isEnumType(named)) return String(value);
  return JSON.stringify(value);
}

/** Scalars and nested objects down to `depth` levels below the field (object fields with required arguments are left out). */
export function selectionOf(type: GraphQLObjectType, depth: number, typeFragments = false): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const named = getNamedType(field.type);
    if (isObjectType(named)) {
      if (depth > 0) parts.push(`${field.name} { ${selectionOf(named, depth - 1)} }`);
    } else {
      parts.push(field.name);
    }
  }
  if (parts.length === 0) parts.push('__typename');
  return typeFragments ? `__typename ...${type.name}Part` : parts.join(' ');
}

/** Every combination of one value per argument (or absent), at most `limit` of them. */
function argumentSets(field: GraphQLField<unknown, unknown>, pools: ArgumentPools, limit = 8): Args[] {
  let sets: Args[] = [{}];
  for (const argument of field.args) {
    const pool = pools[`${field.name}.${argument.name}`] ?? [];
    const choices: (unknown | undefined)[] = isNonNullType(argument.type) ? [...pool] : [undefined, ...pool];
    sets = sets.flatMap((set) => choices.map((value) => (value === undefined ? set : { ...set, [argument.name]: value })));
  }
  // spread the kept sets over the whole product rather than its first corner
  if (sets.length <= limit) return sets;
  const step = sets.length / limit;
  return Array.from({ length: limit }, (_, i) => sets[Math.floor(i * step)]!);
}

const argumentOf = (field: GraphQLField<unknown, unknown>, name: string): GraphQLArgument => field.args.find((a) => a.name === name)!;

function callLiteral(field: GraphQLField<unknown, unknown>, args: Args): string {
  const entries = Object.entries(args);
  return entries.length === 0 ? '' : `(${entries.map(([k, v]) => `${k}: ${literal(argumentOf(field, k).type, v)}`).join(', ')})`;
}

function withVariables(field: GraphQLField<unknown, unknown>, args: Args, prefix: string, defaults: boolean) {
  const entries = Object.entries(args);
  const definitions = entries.map(([k, v]) => `$${prefix}${k}: ${String(argumentOf(field, k).type)}${defaults ? ` = ${literal(argumentOf(field, k).type, v)}` : ''}`);
  const call = entries.length === 0 ? '' : `(${entries.map(([k]) => `${k}: $${prefix}${k}`).join(', ')})`;
  const variables = defaults ? {} : Object.fromEntries(entries.map(([k, v]) => [`${prefix}${k}`, v]));
  return { definitions, call, variables };
}

const declare = (definitions: readonly string[]) => (definitions.length ? `(${definitions.join(', ')})` : '');

/**
 * Root fields left out of the corpus: `warehouseStock` answers from each site's local copy with its
 * age (`asOf`, `maxAgeMs`), which no unsharded reference can reproduce; test/serving-tier.e2e.ts
 * checks it against the warehouses themselves.
 */
const OUTSIDE_THE_CORPUS: ReadonlySet<string> = new Set(['warehouseStock']);

export function generateCorpus(schema: GraphQLSchema, pools: ArgumentPools): CorpusQuery[] {
  const corpus: CorpusQuery[] = [];
  const add = (name: string, query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    corpus.push({ name, query, variables, ...(headers ? { headers } : {}) });
  const fields = Object.values(schema.getQueryType()!.getFields()).filter((f) => !OUTSIDE_THE_CORPUS.has(f.name));

  for (const field of fields) {
    const named = getNamedType(field.type);
    const object = isObjectType(named) ? named : undefined;
    const isList = isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
    const selections = object ? [selectionOf(object, 1), selectionOf(object, isList ? 2 : 3)] : [''];
    const sets = argumentSets(field, pools);
    const typeFragment = object ? ` fragment ${object.name}Part on ${object.name} { ${selectionOf(object, 1)} }` : '';

    sets.forEach((args, a) => {
      const label = `${field.name}${JSON.stringify(args)}`;
      selections.forEach((selection, s) => {
        const body = selection ? ` { ${selection} }` : '';
        add(`${label} #${s} literal`, `{ ${field.name}${callLiteral(field, args)}${body} }`);
        if (s === 0) {
          for (const city of ['Saint-Louis', 'Kaolack']) {
            add(`${label} #${s} x-client-city ${city}`, `{ ${field.name}${callLiteral(field, args)}${body} }`, {}, { 'x-client-city': city });
          }
        }
        if (Object.keys(args).length > 0) {
          const given = withVariables(field, args, 'v', false);
          add(`${label} #${s} variables`, `query${declare(given.definitions)} { ${field.name}${given.call}${body} }`, given.variables);
          const defaulted = withVariables(field, args, 'v', true);
          add(`${label} #${s} defaults`, `query${declare(defaulted.definitions)} { ${field.name}${defaulted.call}${body} }`);
        }
      });

      const body = object ? ` { ${selectionOf(object, 1)} }` : '';
      const fragmentBody = object ? ` { ${selectionOf(object, 1, true)} }` : '';
      // two aliased copies, this argument set and the next: one operation whose fields may live at different sites
      const other = sets[(a + 1) % sets.length]!;
      add(`${label} two aliases`, `{ first: ${field.name}${callLiteral(field, args)}${body} second: ${field.name}${callLiteral(field, other)}${body} }`);
      const given = withVariables(field, args, 'v', false);
      add(
        `${label} named fragments`,
        `query${declare(given.definitions)} { ...Root } fragment Root on Query { picked: ${field.name}${given.call}${fragmentBody} }${typeFragment}`,
        given.variables,
      );
      for (const [include, skip] of [
        [true, undefined],
        [false, undefined],
        [true, false],
        [false, false],
        [true, true],
      ] as const) {
        const defaulted = withVariables(field, args, 'v', skip === undefined);
        const definitions = [...defaulted.definitions, '$in: Boolean!', '$sk: Boolean = true'];
        const variables: Record<string, unknown> = { ...defaulted.variables, in: include };
        if (skip !== undefined) variables.sk = skip;
        add(
          `${label} @include(${include}) @skip(${skip ?? 'default'})`,
          `query${declare(definitions)} { __typename ... @include(if: $in) { kept: ${field.name}${defaulted.call}${body} maybe: ${field.name}${defaulted.call} @skip(if: $sk)${body} } }`,
          variables,
        );
        // `@include` on a fragment and on its field, next to a field with other arguments, which the router may send to another site
        add(
          `${label} split @include(${include}) @include(${skip ?? 'default'})`,
          `query${declare(definitions)} { here: ${field.name}${callLiteral(field, other)}${body} ... @include(if: $in) { there: ${field.name}${defaulted.call} @include(if: $sk)${body} } }`,
          variables,
        );
      }
    });
  }

  // every root field at once, each with its first argument set: one operation over every subgraph and site
  const all = fields.map((field, i) => {
    const named = getNamedType(field.type);
    const body = isObjectType(named) ? ` { ${selectionOf(named, 1)} }` : '';
    return `f${i}: ${field.name}${callLiteral(field, argumentSets(field, pools)[0]!)}${body}`;
  });
  add('every root field at once', `{ ${all.join(' ')} }`);
  return corpus;
}
