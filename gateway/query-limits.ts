/**
 * Limits on what one operation may ask, checked at the gateway before any subgraph is called:
 * - depth, cost, aliases and directives (graphql-armor validation rules: an operation past one
 *   of them fails validation, so no query plan is made and no fetch sent);
 * - tokens (graphql's own parser limit: a huge document is refused while it is being parsed);
 * - list length: no list argument or list variable longer than MAX_LIST_LENGTH (an order has at
 *   most 100 lines; nothing else takes a list), refused once the operation is known, before
 *   execution;
 * - batched HTTP requests stay off (Apollo Server's default), field suggestions are hidden in
 *   production (they spell out the schema to a prober).
 * Page sizes are capped where they are served (`products(limit)` at 200).
 *
 * Every refusal has the code QUERY_TOO_COMPLEX and HTTP status 400, except a document past the
 * token limit, which fails to parse (GRAPHQL_PARSE_FAILED, 400).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError, Kind, visit, type DocumentNode, type ValidationRule } from 'graphql';
import { TerangaError } from '../lib/errors.ts';

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxListLength: number;
}

/**
 * Sized on the operations the clients send, with room to spare: the deepest (a client's orders
 * with their lines' products) has depth 5; the costliest (the same with payments, graphql-armor's
 * default weights: 2 per object, 1 per scalar, ×1.5 per level) costs about 80, a page of products
 * about 17. The Sandbox's introspection is exempt from depth and cost. The cost does not grow with
 * list lengths, which the services cap themselves (products: 200 per page, orders: 100 lines).
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxDepth: 8,
  maxCost: 500,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2_000,
  maxListLength: 100,
});

function tooComplex(message: string, limit: string): GraphQLError {
  // the original error carries the code: Apollo Server re-codes validation errors as GRAPHQL_VALIDATION_FAILED
  return new GraphQLError(message, {
    extensions: { http: { status: 400 } },
    originalError: new TerangaError('QUERY_TOO_COMPLEX', message, { limit }),
  });
}

function reject(limit: string): GraphQLArmorRejectCallback {
  return (context, error) => context?.reportError(tooComplex(error.message, limit));
}

/** Every list value written in the document or passed as a variable, with its length. */
function longestList(document: DocumentNode, variables: Readonly<Record<string, unknown>> | undefined): number {
  let longest = 0;
  visit(document, {
    [Kind.LIST]: (node) => {
      longest = Math.max(longest, node.values.length);
    },
  });
  const walk = (value: unknown, depth: number): void => {
    if (depth > 32 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      longest = Math.max(longest, value.length);
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const item of Object.values(value)) walk(item, depth + 1);
  };
  walk(variables, 0);
  return longest;
}

function listLengthPlugin<TContext extends BaseContext>(maxListLength: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const longest = longestList(document, request.variables);
          if (longest > maxListLength) {
            throw tooComplex(`A list of ${longest} values is longer than the ${maxListLength} the API accepts`, 'listLength');
          }
        },
      };
    },
  };
}

export interface QueryLimitProtection<TContext extends BaseContext> {
  readonly validationRules: ValidationRule[];
  readonly plugins: ApolloServerPlugin<TContext>[];
  readonly parseOptions: { readonly maxTokens: number };
}

export function queryLimits<TContext extends BaseContext>(
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
  options: { readonly development: boolean } = { development: false },
): QueryLimitProtection<TContext> {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, propagateOnRejection: false, onReject: [reject('depth')] },
    costLimit: { maxCost: limits.maxCost, propagateOnRejection: false, onReject: [reject('cost')] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [reject('aliases')] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [reject('directives')] },
    // graphql's parser counts tokens itself (parseOptions below), with a proper parse error
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: !options.development },
  }).protect();
  return {
    validationRules: armor.validationRules,
    // armor's plugins are typed for any context; only the suggestion masking is left among them
    plugins: [...(armor.plugins as ApolloServerPlugin<TContext>[]), listLengthPlugin<TContext>(limits.maxListLength)],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}
