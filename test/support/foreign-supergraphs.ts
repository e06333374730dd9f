/**
 * Two federated graphs that are not Teranga's, each with small subgraphs served over real HTTP
 * on free ports: a shop (interfaces, @requires, @provides, @shareable, @override, entity chains
 * across four subgraphs) and a library (an interface of entities, @override, chains back and forth
 * across three). The conformance test serves them through Teranga's gateway and through a plain
 * @apollo/gateway and compares the answers.
 */
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, parse } from 'graphql';

interface SubgraphDefinition {
  readonly name: string;
  readonly typeDefs: string;
  readonly resolvers: GraphQLResolverMap<unknown>;
}

export interface ServedSupergraph {
  readonly name: string;
  readonly supergraphSdl: string;
  /** Each subgraph's URL, by name. */
  readonly urls: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

const FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7"';

type Row = Record<string, unknown>;
const byKey = <T extends Row>(rows: readonly T[], key: keyof T) => (ref: Row) => rows.find((r) => r[key] === ref[key as string]) ?? null;

// ---- the shop ------------------------------------------------------------------------------

const users = [
  { id: '1', name: 'Ada Lovelace', username: 'ada' },
  { id: '2', name: 'Alan Turing', username: 'alan' },
  { id: '3', name: 'Grace Hopper', username: 'grace' },
];
const products = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Chair', price: 54, weight: 50 },
  { upc: '4', name: 'Lamp', price: 25, weight: 3 },
];
const gifts = [{ upc: 'g1', name: 'Gift card', wrapping: 'red' }];
const stock: Record<string, boolean> = { '1': true, '2': false, '3': true, '4': true };
const reviews = [
  { id: '10', body: 'Love it!', authorId: '1', upc: '1' },
  { id: '11', body: 'Too expensive.', authorId: '1', upc: '2' },
  { id: '12', body: 'Could be better.', authorId: '2', upc: '3' },
  { id: '13', body: 'Prefer something else.', authorId: '3', upc: '1' },
];
// the reviews subgraph owns User.name (@override) and spells it its own way, so a planner that
// still asked accounts would give a different answer
const reviewNames: Record<string, string> = { '1': 'Ada L.', '2': 'Alan T.', '3': 'Grace H.' };

const SHOP: readonly SubgraphDefinition[] = [
  {
    name: 'accounts',
    typeDefs: `${FED}, import: ["@key", "@shareable"])
      type User @key(fields: "id") { id: ID! name: String! username: String! @shareable }
      type Query { me: User users: [User!]! user(id: ID!): User }`,
    resolvers: {
      Query: {
        me: () => users[0],
        users: () => users,
        user: (_: unknown, { id }: { id: string }) => {
          if (id === 'boom') throw new GraphQLError('accounts cannot read this user', { extensions: { code: 'FORBIDDEN' } });
          if (id === 'crash') throw new Error('accounts lost its database');
          return users.find((u) => u.id === id) ?? null;
        },
      },
      User: { __resolveReference: byKey(users, 'id') },
    },
  },
  {
    name: 'products',
    typeDefs: `${FED}, import: ["@key", "@shareable"])
      interface Item { upc: String! name: String! }
      type Product implements Item @key(fields: "upc") { upc: String! name: String! @shareable price: Int! weight: Int! }
      type Gift implements Item { upc: String! name: String! wrapping: String! }
      type Query { topProducts(first: Int = 5): [Product!]! items: [Item!]! }`,
    resolvers: {
      Query: {
        topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first),
        items: () => [...products, ...gifts],
      },
      Item: { __resolveType: (item: Row) => ('wrapping' in item ? 'Gift' : 'Product') },
      Product: { __resolveReference: byKey(products, 'upc') },
    },
  },
  {
    name: 'inventory',
    typeDefs: `${FED}, import: ["@key", "@external", "@requires", "@shareable"])
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int! @external
        price: Int! @external
        inStock: Boolean!
        shippingEstimate: Int! @requires(fields: "price weight")
      }`,
    resolvers: {
      Product: {
        __resolveReference: (ref: Row) => ref,
        inStock: (p: Row) => stock[String(p.upc)] ?? false,
        // free for expensive items, else by weight: needs both fields from products
        shippingEstimate: (p: Row) => {
          if (typeof p.price !== 'number' || typeof p.weight !== 'number') throw new Error('price and weight were not provided');
          return p.price > 1000 ? 0 : Math.round(p.weight * 0.5);
        },
      },
    },
  },
  {
    name: 'reviews',
    typeDefs: `${FED}, import: ["@key", "@external", "@provides", "@override"])
      type Review { id: ID! body: String! author: User! @provides(fields: "username") product: Product! }
      type User @key(fields: "id") { id: ID! username: String! @external name: String! @override(from: "accounts") reviews: [Review!]! }
      type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }
      type Query { reviews(upc: String): [Review!]! }`,
    resolvers: {
      Query: { reviews: (_: unknown, { upc }: { upc?: string }) => reviews.filter((r) => !upc || r.upc === upc) },
      Review: {
        author: (r: Row) => ({ id: r.authorId, username: users.find((u) => u.id === r.authorId)?.username }),
        product: (r: Row) => ({ upc: r.upc }),
      },
      User: {
        __resolveReference: (ref: Row) => ref,
        name: (u: Row) => reviewNames[String(u.id)] ?? null,
        reviews: (u: Row) => reviews.filter((r) => r.authorId === u.id),
      },
      Product: { __resolveReference: (ref: Row) => ref, reviews: (p: Row) => reviews.filter((r) => r.upc === p.upc) },
    },
  },
];

// ---- the library ---------------------------------------------------------------------------

const books = [
  { id: 'b1', title: 'Une si longue lettre', isbn: '978-2-7236-0000-1' },
  { id: 'b2', title: 'Les Bouts de bois de Dieu', isbn: '978-2-266-00000-2' },
  { id: 'b3', title: "L'Aventure ambiguë", isbn: '978-2-264-00000-3' },
];
const magazines = [{ id: 'm1', title: 'Jeune Afrique', issue: 3101 }];
const members = [
  { id: 'p1', name: 'Aminata', city: 'Dakar' },
  { id: 'p2', name: 'Cheikh', city: 'Thiès' },
];
const loans = [
  { id: 'l1', bookId: 'b1', memberId: 'p1', due: '2026-12-20' },
  { id: 'l2', bookId: 'b3', memberId: 'p1', due: '2026-12-24' },
  { id: 'l3', bookId: 'b1', memberId: 'p2', due: '2027-01-03' },
];

const LIBRARY: readonly SubgraphDefinition[] = [
  {
    name: 'catalog',
    typeDefs: `${FED}, import: ["@key"])
      interface Publication { id: ID! title: String! }
      type Book implements Publication @key(fields: "id") { id: ID! title: String! isbn: String! available: Boolean! }
      type Magazine implements Publication @key(fields: "id") { id: ID! title: String! issue: Int! }
      type Query { publications: [Publication!]! book(id: ID!): Book }`,
    resolvers: {
      Query: { publications: () => [...books, ...magazines], book: (_: unknown, { id }: { id: string }) => books.find((b) => b.id === id) ?? null },
      Publication: { __resolveType: (p: Row) => ('isbn' in p ? 'Book' : 'Magazine') },
      // overridden by loans: a stale catalog answer would show
      Book: { __resolveReference: byKey(books, 'id'), available: () => true },
      Magazine: { __resolveReference: byKey(magazines, 'id') },
    },
  },
  {
    name: 'loans',
    typeDefs: `${FED}, import: ["@key", "@override"])
      type Book @key(fields: "id") { id: ID! available: Boolean! @override(from: "catalog") loans: [Loan!]! }
      type Loan { id: ID! book: Book! member: Member! due: String! }
      type Member @key(fields: "id") { id: ID! loans: [Loan!]! }
      type Query { loans: [Loan!]! }`,
    resolvers: {
      Query: { loans: () => loans },
      Book: {
        __resolveReference: (ref: Row) => ref,
        available: (b: Row) => !loans.some((l) => l.bookId === b.id),
        loans: (b: Row) => loans.filter((l) => l.bookId === b.id),
      },
      Loan: { book: (l: Row) => ({ id: l.bookId }), member: (l: Row) => ({ id: l.memberId }) },
      Member: { __resolveReference: (ref: Row) => ref, loans: (m: Row) => loans.filter((l) => l.memberId === m.id) },
    },
  },
  {
    name: 'members',
    typeDefs: `${FED}, import: ["@key"])
      type Member @key(fields: "id") { id: ID! name: String! city: String! }
      type Query { members: [Member!]! }`,
    resolvers: {
      Query: { members: () => members },
      Member: { __resolveReference: byKey(members, 'id') },
    },
  },
];

export const FOREIGN_SUPERGRAPHS = { shop: SHOP, library: LIBRARY } as const;
export type ForeignSupergraph = keyof typeof FOREIGN_SUPERGRAPHS;

/** Starts every subgraph of the graph on a free port and composes the supergraph with their URLs. */
export async function serveSupergraph(name: ForeignSupergraph): Promise<ServedSupergraph> {
  const servers: ApolloServer[] = [];
  try {
    const served = [];
    for (const subgraph of FOREIGN_SUPERGRAPHS[name]) {
      const typeDefs = parse(subgraph.typeDefs);
      const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers: subgraph.resolvers }) });
      servers.push(server);
      const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
      served.push({ name: subgraph.name, url, typeDefs });
    }
    const composed = composeServices(served);
    if (composed.errors) throw new Error(`The ${name} supergraph does not compose:\n${composed.errors.map((e) => e.message).join('\n')}`);
    return {
      name,
      supergraphSdl: composed.supergraphSdl,
      urls: Object.fromEntries(served.map((s) => [s.name, s.url])),
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop().catch(() => {})));
    throw error;
  }
}
