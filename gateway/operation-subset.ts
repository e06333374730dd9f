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
  type SelectionSetNode,
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

/** A condition on a fragment also conditions each field taken out of it. */
function withDirectives(field: FieldNode, directives: readonly DirectiveNode[] | undefined): FieldNode {
  if (!directives?.length) return field;
  const own = new Set((field.directives ?? []).map((d) => d.name.value));
  const added = directives.filter((d) => !own.has(d.name.value));
  return { ...field, directives: [...(field.directives ?? []), ...added] };
}

function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  inherited: readonly DirectiveNode[],
  out: RootField[],
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const node = withDirectives(selection, inherited);
      out.push({ responseKey: selection.alias?.value ?? selection.name.value, name: selection.name.value, node });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, fragments, [...inherited, ...(selection.directives ?? [])], out);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment) throw new Error(`Unknown fragment ${selection.name.value} in the subgraph request`);
      collectRootFields(fragment.selectionSet, fragments, [...inherited, ...(selection.directives ?? [])], out);
    }
  }
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
  nodes: readonly FieldNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): { variables: Set<string>; fragments: Set<string> } {
  const variables = new Set<string>();
  const used = new Set<string>();
  const pending: (FieldNode | FragmentDefinitionNode)[] = [...nodes];
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
  const nodes = fields.map((f) => f.node);
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
