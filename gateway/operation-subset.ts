/**
 * Reading and rewriting the operations the query planner sends to a subgraph: the root fields
 * of an operation, and the same operation reduced to some of them. A reduced operation keeps
 * only the variables and fragments its fields use, because GraphQL rejects an operation that
 * declares a variable or a fragment it never uses.
 */
import {
  Kind,
  parse,
  print,
  visit,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

export interface ParsedOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

export interface RootField {
  /** The alias, or the field name when there is none: where the field's value lands in `data`. */
  readonly responseKey: string;
  readonly name: string;
  readonly node: FieldNode;
  /**
   * The field as a root selection of its own: wrapped in one inline fragment per fragment it was
   * found in, each keeping that fragment's directives, so that `... @include(if: $a) { f
   * @include(if: $b) }` keeps both conditions (a field cannot carry two `@include`).
   */
  readonly selection: SelectionNode;
  /** Every `@include` / `@skip` on the way to the field, its own last. */
  readonly conditions: readonly DirectiveNode[];
}

export type Variables = Readonly<Record<string, unknown>>;

const PARSE_CACHE_LIMIT = 1_000;
const parseCache = new Map<string, ParsedOperation>();

/**
 * Parses a subgraph operation (the planner sends one operation per fetch, with the fragments it
 * uses). Cached by text: the planner's plans are cached, so the same texts come back.
 */
export function parseOperation(query: string, operationName?: string | null): ParsedOperation {
  const key = `${operationName ?? ''}\u0000${query}`;
  const cached = parseCache.get(key);
  if (cached) return cached;
  const document = parse(query);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation || (!operationName && operations.length > 1)) {
    throw new Error(`Expected one operation${operationName ? ` named ${operationName}` : ''} in the subgraph request`);
  }
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const parsed = { document, operation, fragments };
  if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.delete(parseCache.keys().next().value!);
  parseCache.set(key, parsed);
  return parsed;
}

const isCondition = (d: DirectiveNode) => d.name.value === 'include' || d.name.value === 'skip';

/** The field inside one inline fragment per enclosing fragment that carries directives, outermost first. */
function wrap(field: FieldNode, enclosing: readonly (readonly DirectiveNode[])[]): SelectionNode {
  let selection: SelectionNode = field;
  for (const directives of [...enclosing].reverse()) {
    if (directives.length === 0) continue;
    selection = { kind: Kind.INLINE_FRAGMENT, directives, selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] } };
  }
  return selection;
}

function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  enclosing: readonly (readonly DirectiveNode[])[],
  out: RootField[],
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      out.push({
        responseKey: selection.alias?.value ?? selection.name.value,
        name: selection.name.value,
        node: selection,
        selection: wrap(selection, enclosing),
        conditions: [...enclosing.flat(), ...(selection.directives ?? [])].filter(isCondition),
      });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, fragments, [...enclosing, selection.directives ?? []], out);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment) throw new Error(`Unknown fragment ${selection.name.value} in the subgraph request`);
      collectRootFields(fragment.selectionSet, fragments, [...enclosing, [...(selection.directives ?? []), ...(fragment.directives ?? [])]], out);
    }
  }
}

/**
 * The variables as the operation sees them: those given, and the default of each declared
 * variable that was not given (GraphQL's CoerceVariableValues, without the types).
 */
export function effectiveVariables(operation: OperationDefinitionNode, variables: Variables): Variables {
  const values: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (!Object.prototype.hasOwnProperty.call(values, name) && definition.defaultValue) {
      values[name] = valueFromASTUntyped(definition.defaultValue);
    }
  }
  return values;
}

/** `true` when the field's `@include` / `@skip` conditions leave it out of the result. */
export function isExcluded(field: RootField, variables: Variables): boolean {
  return field.conditions.some((directive) => {
    const argument = directive.arguments?.find((a) => a.name.value === 'if');
    if (!argument) return false;
    const value = valueFromASTUntyped(argument.value, variables as Record<string, unknown>);
    return directive.name.value === 'include' ? value === false : value === true;
  });
}

/**
 * The root fields of the operation, fragments at the root flattened into plain fields so that
 * each field can go to its own site.
 */
export function rootFields(parsed: ParsedOperation): RootField[] {
  const out: RootField[] = [];
  collectRootFields(parsed.operation.selectionSet, parsed.fragments, [], out);
  return out;
}

/** `true` when the operation is an `_entities` fetch (the planner's entity resolution). */
export function isEntitiesFetch(parsed: ParsedOperation): boolean {
  const fields = rootFields(parsed);
  return fields.length > 0 && fields.every((f) => f.name === '_entities');
}

/** Variables and fragments used inside some nodes, following fragment spreads transitively. */
function usages(
  nodes: readonly SelectionNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): { variables: Set<string>; fragments: Set<string> } {
  const variables = new Set<string>();
  const used = new Set<string>();
  const pending: (SelectionNode | FragmentDefinitionNode)[] = [...nodes];
  while (pending.length > 0) {
    const node = pending.pop()!;
    visit(node, {
      Variable(v) {
        variables.add(v.name.value);
      },
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (used.has(name)) return;
        used.add(name);
        const fragment = fragments.get(name);
        if (fragment) pending.push(fragment);
      },
    });
  }
  return { variables, fragments: used };
}

export interface SubsetRequest {
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/**
 * The operation reduced to `fields` (root fields of `parsed`), with only the variable
 * definitions, variables and fragments those fields use.
 * @example subsetOperation(parseOperation('query($a:ID!,$b:ID!){x:client(id:$a){id} y:client(id:$b){id}}'), [y], { a: '1', b: '2' })
 *   // { query: 'query ($b: ID!) { y: client(id: $b) { id } }', variables: { b: '2' } }
 */
export function subsetOperation(parsed: ParsedOperation, fields: readonly RootField[], variables: Variables = {}): SubsetRequest {
  const nodes = fields.map((f) => f.selection);
  const used = usages(nodes, parsed.fragments);
  for (const directive of parsed.operation.directives ?? []) {
    visit(directive, { Variable: (v) => void used.variables.add(v.name.value) });
  }
  const operation: OperationDefinitionNode = {
    ...parsed.operation,
    variableDefinitions: (parsed.operation.variableDefinitions ?? []).filter((d) => used.variables.has(d.variable.name.value)),
    selectionSet: { kind: Kind.SELECTION_SET, selections: nodes },
  };
  const fragments = [...parsed.fragments.values()].filter((f) => used.fragments.has(f.name.value));
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
  const kept: Record<string, unknown> = {};
  for (const name of used.variables) {
    if (Object.prototype.hasOwnProperty.call(variables, name)) kept[name] = variables[name];
  }
  return { query: print(document), variables: kept };
}
