/**
 * The site router without a cluster: its pure parts (routing rules, operation rewriting, splitting
 * and merging, error path remapping) and the data source itself against three fake sites that
 * execute a small regions-like schema in-process (no network).
 */
import { describe, expect, it } from 'vitest';
import { buildSchema, graphql as executeGraphQL, parse, print, type GraphQLFormattedError } from 'graphql';
import { buildTopology } from '../lib/topology.ts';
import { SITE_IDS, SITES, type SiteId } from '../lib/sites.ts';
import type { ClientDirectory } from '../gateway/client-directory.ts';
import { DirectoryUnavailableError } from '../gateway/client-directory.ts';
import { decodeHeaderText, gatewayContext, type GatewayContext } from '../gateway/context.ts';
import type { ProcessOptions } from '../gateway/forwarding-data-source.ts';
import { isEntitiesFetch, parseOperation, rootFields, subsetOperation } from '../gateway/operation-subset.ts';
import { mergeRootAnswers, planRootRequests, routeRootField, type ResolvedRoute, type RoutingInput } from '../gateway/route-root-fields.ts';
import { routedFetches } from '../gateway/routing-log.ts';
import type { SiteAnswer } from '../gateway/site-answer.ts';
import { siteUnavailable } from '../gateway/site-errors.ts';
import { siteFailureOf, SiteRouterDataSource } from '../gateway/site-router.ts';
import { combineParts, mergeEntityAnswers, routeRepresentation, splitRepresentations } from '../gateway/split-entities.ts';
import { rootFieldRule } from '../gateway/sharding-rules.ts';
import { REGIONS_ROUTING } from '../schema/regions.routing.ts';
import { EVERY_WAREHOUSE, STOCK_SCOPE_HEADER } from '../lib/stock-scope.ts';
import { SubgraphUnreachableError } from '../gateway/subgraph-fetcher.ts';

const normalize = (text: string) => print(parse(text));

describe('root fields of a fetch', () => {
  it('reads aliases and flattens fragments at the root, keeping their conditions', () => {
    const parsed = parseOperation(
      'query($x:Boolean!){a:client(id:"1"){id} ...Q ... @include(if:$x){siteForCity(city:"Dakar")}} fragment Q on Query{clients{id}}',
    );
    const fields = rootFields(parsed);
    expect(fields.map((f) => [f.responseKey, f.name])).toEqual([
      ['a', 'client'],
      ['clients', 'clients'],
      ['siteForCity', 'siteForCity'],
    ]);
    expect(fields[2]!.conditions.map((d) => d.name.value)).toEqual(['include']);
    expect(print(fields[2]!.selection)).toBe('... @include(if: $x) {\n  siteForCity(city: "Dakar")\n}');
    expect(isEntitiesFetch(parsed)).toBe(false);
    expect(isEntitiesFetch(parseOperation('query($representations:[_Any!]!){_entities(representations:$representations){...on Client{name}}}'))).toBe(true);
  });

  it('rewrites an operation to some of its fields, pruning unused variables and fragments', () => {
    const parsed = parseOperation(
      'query Q__regions__0($a:ID!$b:ID!$c:String){x:client(id:$a){...C} y:client(id:$b){id} z:clients(city:$c){...C}} fragment C on Client{id name} fragment D on Client{id}',
    );
    const [x, y, z] = rootFields(parsed);
    const onlyY = subsetOperation(parsed, [y!], { a: '1', b: '2', c: 'Thiès' });
    expect(onlyY.query).toBe(normalize('query Q__regions__0($b: ID!) { y: client(id: $b) { id } }'));
    expect(onlyY.variables).toEqual({ b: '2' });
    const xz = subsetOperation(parsed, [x!, z!], { a: '1', b: '2', c: 'Thiès' });
    expect(xz.query).toBe(
      normalize('query Q__regions__0($a: ID!, $c: String) { x: client(id: $a) { ...C } z: clients(city: $c) { ...C } } fragment C on Client { id name }'),
    );
    expect(xz.variables).toEqual({ a: '1', c: 'Thiès' });
  });

  it('keeps an absent optional variable absent', () => {
    const parsed = parseOperation('query($c:String){clients(city:$c){id}}');
    expect(subsetOperation(parsed, rootFields(parsed), {}).variables).toEqual({});
  });
});

describe('routing rules of root fields', () => {
  const route = (text: string, input: Partial<RoutingInput> = {}) => {
    const parsed = parseOperation(text);
    const parent = parsed.operation.operation === 'mutation' ? 'Mutation' : 'Query';
    return rootFields(parsed).map((f) =>
      routeRootField(f, rootFieldRule(REGIONS_ROUTING, parent, f.name), { operation: parsed.operation.operation, variables: {}, clientCity: null, ...input }),
    );
  };

  it('client(id) asks the directory, with a literal, an integer literal or a variable', () => {
    expect(route('{client(id:"2"){id}}')).toEqual([{ kind: 'client', id: '2' }]);
    expect(route('{client(id:2){id}}')).toEqual([{ kind: 'client', id: '2' }]);
    expect(route('query($id:ID!){client(id:$id){id}}', { variables: { id: '7' } })).toEqual([{ kind: 'client', id: '7' }]);
  });

  it('clients(city), clients(site), siteForCity(city) and restock(site) go to one site', () => {
    expect(route('{clients(city:"Thiès"){id}}')).toMatchObject([{ kind: 'site', site: 'thies' }]);
    expect(route('{clients(city:"KAOLACK"){id}}')).toMatchObject([{ kind: 'site', site: 'thies' }]);
    expect(route('query($s:Site){clients(site:$s){id}}', { variables: { s: 'SAINT_LOUIS' } })).toMatchObject([
      { kind: 'site', site: 'saint-louis' },
    ]);
    expect(route('{siteForCity(city:"Dakar")}')).toMatchObject([{ kind: 'site', site: 'dakar' }]);
    expect(route('mutation{restock(productId:"101",site:THIES,quantity:2){quantity}}')).toMatchObject([{ kind: 'site', site: 'thies' }]);
  });

  it('an unknown city goes to any one site, which answers with its own error', () => {
    expect(route('{siteForCity(city:"Atlantis")}')).toEqual([{ kind: 'any' }]);
  });

  it('order(id) asks every site; clients without argument asks every site, whatever the caller’s city', () => {
    expect(route('{order(id:"5"){id}}')).toMatchObject([{ kind: 'all', merge: 'first' }]);
    expect(route('{clients{id}}')).toMatchObject([{ kind: 'all', merge: 'concat' }]);
    expect(route('{clients{id}}', { clientCity: 'Saint Louis' })).toMatchObject([{ kind: 'all', merge: 'concat' }]);
    expect(route('{clients{id}}', { clientCity: 'Atlantis' })).toMatchObject([{ kind: 'reject', code: 'UNKNOWN_CITY' }]);
  });

  it('routes by the declared keys only, in their order; a null key is absent', () => {
    expect(route('{clients(site:DAKAR, city:"Thiès"){id}}')).toMatchObject([{ kind: 'site', site: 'dakar' }]);
    expect(route('query($s:Site){clients(site:$s, city:"Thiès"){id}}', { variables: { s: null } })).toMatchObject([{ kind: 'site', site: 'thies' }]);
    // a field the rules do not know is not routed by a guess from its argument names
    expect(route('{unknownField(site:DAKAR){id}}')).toMatchObject([{ kind: 'reject', code: 'INTERNAL_SERVER_ERROR' }]);
  });

  it('a skipped field goes along to any site; a field kept by its conditions is routed', () => {
    expect(route('query($x:Boolean!){clients @include(if:$x){id}}', { variables: { x: false } })).toEqual([{ kind: 'any' }]);
    expect(route('query($x:Boolean = true){... @skip(if:$x){clients{id}}}', { variables: { x: true } })).toEqual([{ kind: 'any' }]);
    expect(route('query($x:Boolean!){clients @include(if:$x){id}}', { variables: { x: true } })).toMatchObject([{ kind: 'all' }]);
  });

  it('a mutation that names no site is refused, whatever the caller’s city', () => {
    const rule = { keys: [{ argument: 'site', by: 'site' as const }], otherwise: 'refuse' as const };
    const parsed = parseOperation('mutation{restock(productId:"1",quantity:1){quantity}}');
    const [field] = rootFields(parsed);
    expect(routeRootField(field!, rule, { operation: 'mutation', variables: {}, clientCity: null })).toMatchObject({
      kind: 'reject',
      code: 'BAD_USER_INPUT',
    });
    expect(routeRootField(field!, rule, { operation: 'mutation', variables: {}, clientCity: 'Mbour' })).toMatchObject({
      kind: 'reject',
      code: 'BAD_USER_INPUT',
    });
  });
});

describe('planning and merging root fields', () => {
  const parsed = parseOperation('{a:client(id:"1"){id} b:clients{id} c:clients(city:"Thiès"){id} __typename}');
  const fields = rootFields(parsed);
  const routes: ResolvedRoute[] = [
    { kind: 'site', site: 'dakar', reason: '' },
    { kind: 'all', reason: '', merge: 'concat' },
    { kind: 'site', site: 'thies', reason: '' },
    { kind: 'any' },
  ];

  it('sends each site only its fields; `any` rides along with a site asked anyway', () => {
    const plan = planRootRequests(fields, routes, 'query');
    expect(plan.requests.map((r) => [r.site, r.fields.map((f) => f.responseKey)])).toEqual([
      ['dakar', ['a', 'b', '__typename']],
      ['thies', ['b', 'c']],
      ['saint-louis', ['b']],
    ]);
  });

  it('runs a mutation’s fields in order, consecutive fields of one site together', () => {
    const m = parseOperation('mutation{x:restock(productId:"1",site:DAKAR,quantity:1){quantity} y:restock(productId:"1",site:DAKAR,quantity:1){quantity} z:restock(productId:"1",site:THIES,quantity:1){quantity} w:restock(productId:"2",site:DAKAR,quantity:1){quantity}}');
    const mf = rootFields(m);
    const sites: SiteId[] = ['dakar', 'dakar', 'thies', 'dakar'];
    const plan = planRootRequests(mf, sites.map((site) => ({ kind: 'site', site, reason: '' })), 'mutation');
    expect(plan.requests.map((r) => [r.site, r.fields.map((f) => f.responseKey)])).toEqual([
      ['dakar', ['x', 'y']],
      ['thies', ['z']],
      ['dakar', ['w']],
    ]);
  });

  it('concatenates lists in site order, shifts list indices in error paths, reports a failed site', () => {
    const plan = planRootRequests(fields, routes, 'query');
    const answers: SiteAnswer[] = [
      {
        kind: 'response',
        site: 'dakar',
        data: { a: { id: '1' }, b: [{ id: '1' }, { id: '4' }], __typename: 'Query' },
        errors: [],
      },
      {
        kind: 'response',
        site: 'thies',
        data: { b: [{ id: '2' }, { id: '6' }], c: [{ id: '2' }] },
        errors: [{ message: 'boom', path: ['b', 1, 'orders'], extensions: { code: 'X' } }],
      },
      { kind: 'failure', site: 'saint-louis', failure: siteUnavailable('saint-louis', 'ECONNREFUSED') },
    ];
    const merged = mergeRootAnswers(plan, answers);
    expect(merged.data).toEqual({
      a: { id: '1' },
      b: [{ id: '1' }, { id: '4' }, { id: '2' }, { id: '6' }],
      c: [{ id: '2' }],
      __typename: 'Query',
    });
    expect(merged.errors).toEqual([
      { message: 'boom', path: ['b', 3, 'orders'], extensions: { code: 'X', site: 'THIES' } },
      {
        message: expect.stringContaining('SAINT_LOUIS'),
        path: ['b'],
        extensions: { code: 'SITE_UNAVAILABLE', site: 'SAINT_LOUIS' },
      },
    ]);
  });

  it('a list no site gave is null with every site’s error, not an empty list', () => {
    const c = parseOperation('{clients{id}}');
    const plan = planRootRequests(rootFields(c), [{ kind: 'all', reason: '', merge: 'concat' }], 'query');
    const refused = (site: SiteId): SiteAnswer => ({
      kind: 'response',
      site,
      data: null,
      errors: [{ message: 'no', path: ['clients'], extensions: { code: 'FORBIDDEN' } }],
    });
    const merged = mergeRootAnswers(plan, [refused('dakar'), refused('thies'), refused('saint-louis')]);
    expect(merged.data).toEqual({ clients: null });
    expect(merged.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it('keeps the first non-null object; reports a failed site only when nobody had it', () => {
    const o = parseOperation('{order(id:"9"){id}}');
    const plan = planRootRequests(rootFields(o), [{ kind: 'all', reason: '', merge: 'first' }], 'query');
    const down: SiteAnswer = { kind: 'failure', site: 'dakar', failure: siteUnavailable('dakar', 'ECONNREFUSED') };
    const found = mergeRootAnswers(plan, [
      down,
      { kind: 'response', site: 'thies', data: { order: null }, errors: [] },
      { kind: 'response', site: 'saint-louis', data: { order: { id: '9' } }, errors: [] },
    ]);
    expect(found).toEqual({ data: { order: { id: '9' } }, errors: [] });
    const missing = mergeRootAnswers(plan, [
      down,
      { kind: 'response', site: 'thies', data: { order: null }, errors: [] },
      { kind: 'response', site: 'saint-louis', data: { order: null }, errors: [] },
    ]);
    expect(missing.data).toEqual({ order: null });
    expect(missing.errors).toMatchObject([{ path: ['order'], extensions: { code: 'SITE_UNAVAILABLE', site: 'DAKAR' } }]);
  });

  it('answers unrouted fields without any site: null, with the refusal when there is one', () => {
    const m = parseOperation('mutation{x:touch{id}}');
    const plan = planRootRequests(rootFields(m), [{ kind: 'reject', code: 'BAD_USER_INPUT', message: 'no site' }], 'mutation');
    expect(plan.requests).toEqual([]);
    expect(mergeRootAnswers(plan, [])).toEqual({
      data: { x: null },
      errors: [{ message: 'no site', path: ['x'], extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });
});

describe('splitting and merging entities', () => {
  const reps = [
    { __typename: 'StockLevel', productId: '101', site: 'DAKAR' },
    { __typename: 'StockLevel', productId: '101', site: 'SAINT_LOUIS' },
    { __typename: 'Client', id: '2' },
    { __typename: 'Client', id: '999' },
    { __typename: 'Order', id: '5', site: 'THIES' },
    { __typename: 'StockLevel', productId: '102', site: 'DAKAR' },
    { __typename: 'Client', id: '3' },
  ];
  const directory = new Map<string, SiteId | null>([
    ['2', 'thies'],
    ['999', null],
  ]);
  const routes = reps.map((r) => routeRepresentation(r, REGIONS_ROUTING, directory));

  it('routes by the site key field, by the directory for clients, nowhere for unknown clients, everywhere when the directory is silent', () => {
    expect(routes).toEqual([
      { kind: 'site', site: 'dakar' },
      { kind: 'site', site: 'saint-louis' },
      { kind: 'site', site: 'thies' },
      { kind: 'none' },
      { kind: 'site', site: 'thies' },
      { kind: 'site', site: 'dakar' },
      { kind: 'all' },
    ]);
    expect(splitRepresentations(routes)).toEqual([
      { site: 'dakar', indices: [0, 5, 6] },
      { site: 'thies', indices: [2, 4, 6] },
      { site: 'saint-louis', indices: [1, 6] },
    ]);
  });

  it('puts answers back in the original order and remaps error paths to the original indices', () => {
    const batches = splitRepresentations(routes);
    const answers: SiteAnswer[] = [
      {
        kind: 'response',
        site: 'dakar',
        data: { _entities: [{ quantity: 8 }, { quantity: 1 }, null] },
        errors: [{ message: 'slow', path: ['_entities', 1, 'quantity'] }],
      },
      { kind: 'response', site: 'thies', data: { _entities: [{ name: 'Awa Diop' }, { total: 5 }, null] }, errors: [] },
      { kind: 'failure', site: 'saint-louis', failure: siteUnavailable('saint-louis', 'ECONNREFUSED') },
    ];
    const merged = mergeEntityAnswers(reps.length, batches, answers);
    expect(merged.data._entities).toEqual([{ quantity: 8 }, null, { name: 'Awa Diop' }, null, { total: 5 }, { quantity: 1 }, null]);
    const summary = (e: GraphQLFormattedError) => `${e.path!.join('.')} ${String(e.extensions?.code)} ${String(e.extensions?.site)}`;
    expect(merged.errors.map(summary).sort()).toEqual([
      '_entities.1 SITE_UNAVAILABLE SAINT_LOUIS',
      '_entities.5.quantity undefined DAKAR',
      '_entities.6 SITE_UNAVAILABLE SAINT_LOUIS',
    ]);
  });
});

describe('combining a product’s parts from every site', () => {
  const level = (site: string, quantity: number) => ({ site, quantity });

  it('asks every site for a Product and puts the parts side by side: lists in site order, counts summed', () => {
    const routes = [{ __typename: 'Product', id: '101', name: 'Ordinateur HP' }].map((r) => routeRepresentation(r, REGIONS_ROUTING, new Map()));
    expect(routes).toEqual([{ kind: 'combine', type: 'Product' }]);
    expect(splitRepresentations(routes).map((b) => b.site)).toEqual(['dakar', 'thies', 'saint-louis']);
    const parts = [
      { id: '101', stock: 10, stockAlias: 10, inventory: [level('DAKAR', 10)] },
      { id: '101', stock: 6, stockAlias: 6, inventory: [level('THIES', 6)] },
      { id: '101', stock: 4, stockAlias: 4, inventory: [level('SAINT_LOUIS', 4)] },
    ];
    const rules: Record<string, 'sum' | 'concat'> = { stock: 'sum', stockAlias: 'sum', inventory: 'concat' };
    expect(combineParts(parts, (key) => rules[key] ?? 'same')).toEqual({
      value: { id: '101', stock: 20, stockAlias: 20, inventory: [level('DAKAR', 10), level('THIES', 6), level('SAINT_LOUIS', 4)] },
      gaps: [[], [], []],
    });
  });

  it('leaves a missing site’s place null in lists and the total unknown, with SITE_UNAVAILABLE where the part is missing', () => {
    const reps = [{ __typename: 'Product', id: '101' }, { __typename: 'Product', id: '102' }];
    const routes = reps.map((r) => routeRepresentation(r, REGIONS_ROUTING, new Map()));
    const batches = splitRepresentations(routes);
    const part = (id: string, site: string, quantity: number) => ({ id, stock: quantity, inventory: [level(site, quantity)] });
    const answers: SiteAnswer[] = [
      { kind: 'response', site: 'dakar', data: { _entities: [part('101', 'DAKAR', 10), part('102', 'DAKAR', 25)] }, errors: [] },
      { kind: 'failure', site: 'thies', failure: siteUnavailable('thies', 'ECONNREFUSED') },
      { kind: 'response', site: 'saint-louis', data: { _entities: [part('101', 'SAINT_LOUIS', 4), part('102', 'SAINT_LOUIS', 10)] }, errors: [] },
    ];
    const rules: Record<string, 'sum' | 'concat'> = { stock: 'sum', inventory: 'concat' };
    const merged = mergeEntityAnswers(reps.length, batches, answers, routes, () => (key) => rules[key] ?? 'same');
    expect(merged.data._entities).toEqual([
      { id: '101', stock: null, inventory: [level('DAKAR', 10), null, level('SAINT_LOUIS', 4)] },
      { id: '102', stock: null, inventory: [level('DAKAR', 25), null, level('SAINT_LOUIS', 10)] },
    ]);
    const summary = (e: GraphQLFormattedError) => `${e.path!.join('.')} ${String(e.extensions?.code)} ${String(e.extensions?.site)}`;
    expect(merged.errors.map(summary).sort()).toEqual([
      '_entities.0.inventory.1 SITE_UNAVAILABLE THIES',
      '_entities.0.stock SITE_UNAVAILABLE THIES',
      '_entities.1.inventory.1 SITE_UNAVAILABLE THIES',
      '_entities.1.stock SITE_UNAVAILABLE THIES',
    ]);
  });

  it('gives null, with every site’s error, when no site answered', () => {
    const { value } = combineParts([null, null, null], () => 'same');
    expect(value).toBeNull();
  });
});

describe('site failures and header decoding', () => {
  it('reports an unreachable site as SITE_UNAVAILABLE', () => {
    const failure = siteFailureOf('thies', new SubgraphUnreachableError('http://x/graphql', 'ECONNREFUSED'));
    expect(failure).toEqual({ code: 'SITE_UNAVAILABLE', message: 'Site THIES cannot be reached: ECONNREFUSED' });
  });

  it('decodes accented cities sent percent-encoded or as raw UTF-8', () => {
    expect(decodeHeaderText('Thi%C3%A8s')).toBe('Thiès');
    expect(decodeHeaderText(Buffer.from('Thiès', 'utf8').toString('latin1'))).toBe('Thiès');
    expect(decodeHeaderText('Saint-Louis')).toBe('Saint-Louis');
  });
});

// ---- the data source against fake sites -------------------------------------------------------

const FAKE_SDL = /* GraphQL */ `
  scalar _Any
  enum Site { DAKAR THIES SAINT_LOUIS }
  type Client { id: ID! name: String! city: String! site: Site! }
  type StockLevel { productId: ID! site: Site! quantity: Int! }
  type Product { id: ID! stock: Int threshold: Int inventory: [StockLevel] }
  union _Entity = Client | StockLevel | Product
  type Query {
    _entities(representations: [_Any!]!): [_Entity]!
    client(id: ID!): Client
    clients(city: String, site: Site): [Client!]!
    siteForCity(city: String!): Site!
  }
  type Mutation { restock(productId: ID!, site: Site!, quantity: Int!): StockLevel! }
`;
const fakeSchema = buildSchema(FAKE_SDL);

interface FakeClient {
  id: string;
  name: string;
  city: string;
  site: SiteId;
}

class FakeCluster {
  readonly topology = buildTopology({ servicePort: 39000 });
  readonly clients = new Map<string, FakeClient>([
    ['1', { id: '1', name: 'Mamadou Ndiaye', city: 'Dakar', site: 'dakar' }],
    ['2', { id: '2', name: 'Awa Diop', city: 'Thiès', site: 'thies' }],
    ['3', { id: '3', name: 'Ibrahima Ba', city: 'Saint-Louis', site: 'saint-louis' }],
    ['4', { id: '4', name: 'Fatou Sow', city: 'Dakar', site: 'dakar' }],
  ]);
  readonly down = new Set<SiteId>();
  /** Sites whose copies of the other warehouses are past their age bound. */
  readonly staleCopies = new Set<SiteId>();
  readonly requests: { site: SiteId; query: string; variables: Record<string, unknown> }[] = [];
  readonly headers: Record<string, string>[] = [];
  directoryCalls = 0;
  /** What the directory says, which can lag behind `clients` (a stale cache). */
  readonly directorySites = new Map<string, SiteId>([...this.clients.values()].map((c) => [c.id, c.site]));
  private cached = new Map<string, SiteId>();

  readonly directory: ClientDirectory = {
    sitesOf: async (ids) => {
      const result = new Map<string, SiteId | null>();
      const missing = ids.filter((id) => !this.cached.has(id));
      if (missing.length > 0) this.directoryCalls++;
      for (const id of ids) {
        const site = this.cached.get(id) ?? this.directorySites.get(id) ?? null;
        if (site) this.cached.set(id, site);
        result.set(id, site);
      }
      return result;
    },
    refresh: async (ids) => {
      this.directoryCalls++;
      return new Map(
        ids.map((id) => {
          const site = this.clients.get(id)?.site ?? null;
          if (site) this.cached.set(id, site);
          return [id, site];
        }),
      );
    },
  };

  private rootValue(site: SiteId, everyWarehouse = false) {
    const code = SITES[site].code;
    const mine = () => [...this.clients.values()].filter((c) => c.site === site).map((c) => ({ ...c, site: code }));
    return {
      _entities: ({ representations }: { representations: Record<string, unknown>[] }) =>
        representations.map((rep) => {
          if (rep.__typename === 'Client') {
            const found = mine().find((c) => c.id === rep.id);
            return found ? { __typename: 'Client', ...found } : null;
          }
          if (rep.__typename === 'Product' && everyWarehouse) {
            // one site for every warehouse, the others from its copies (lib/stock-scope.ts)
            if (this.staleCopies.has(site)) return new Error(`the copies at ${code} are too old`);
            const inventory = SITE_IDS.map((s, i) => ({ productId: rep.id, site: SITES[s].code, quantity: i + 1 }));
            return { __typename: 'Product', id: rep.id, stock: 6, threshold: 5, inventory };
          }
          if (rep.__typename === 'Product') {
            const quantity = SITE_IDS.indexOf(site) + 1;
            // a per-product setting every site holds alike: not a count to add up
            return { __typename: 'Product', id: rep.id, stock: quantity, threshold: 5, inventory: [{ productId: rep.id, site: code, quantity }] };
          }
          if (rep.site !== code) throw new Error(`StockLevel of ${String(rep.site)} asked of ${code}`);
          return { __typename: 'StockLevel', productId: rep.productId, site: code, quantity: Number(rep.productId) % 10 };
        }),
      client: ({ id }: { id: string }) => mine().find((c) => c.id === id) ?? null,
      clients: ({ city }: { city?: string }) => mine().filter((c) => !city || c.city === city),
      siteForCity: ({ city }: { city: string }) => {
        throw new Error(`Unknown city "${city}"`);
      },
      restock: ({ productId, quantity }: { productId: string; quantity: number }) => ({ productId, site: code, quantity }),
    };
  }

  router(): SiteRouterDataSource {
    return new SiteRouterDataSource({ topology: this.topology, directory: this.directory, rules: REGIONS_ROUTING, fetcher: this.fetcher() });
  }

  fetcher(): NonNullable<ConstructorParameters<typeof SiteRouterDataSource>[0]['fetcher']> {
    const siteOfUrl = new Map(
      this.topology.services.filter((s) => s.site).map((s) => [s.url, s.site!] as const),
    );
    return async (url, init) => {
      const site = siteOfUrl.get(url);
      if (!site) throw new Error(`unexpected URL ${url}`);
      if (this.down.has(site)) throw new SubgraphUnreachableError(url, 'ECONNREFUSED');
      const body = JSON.parse(String(init?.body)) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      this.requests.push({ site, query: body.query, variables: body.variables ?? {} });
      this.headers.push(init?.headers ?? {});
      const result = await executeGraphQL({
        schema: fakeSchema,
        source: body.query,
        variableValues: body.variables,
        operationName: body.operationName,
        rootValue: this.rootValue(site, new Headers(init?.headers as HeadersInit).get(STOCK_SCOPE_HEADER) === EVERY_WAREHOUSE),
      });
      return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
    };
  }
}

function options(text: string, variables: Record<string, unknown>, context: GatewayContext): ProcessOptions {
  const request = { query: text, variables };
  // the gateway passes its whole request context; the router reads only `context`
  return {
    kind: 'incoming operation',
    request,
    context,
    incomingRequestContext: { context, request },
  } as unknown as ProcessOptions;
}

const debugContext = (headers: Record<string, string> = {}) =>
  gatewayContext({ 'x-teranga-debug-routing': '1', ...headers }, 'req-1');

describe('the site router data source (fake sites)', () => {
  it('sends client(id) to its own site only, and forwards the request id and caller headers', async () => {
    const cluster = new FakeCluster();
    const context = debugContext({ authorization: 'Bearer t', 'x-client-city': 'Dakar' });
    const response = await cluster.router().process(options('{client(id:"2"){name}}', {}, context));
    expect(response).toEqual({ data: { client: { name: 'Awa Diop' } } });
    expect(routedFetches(context)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
    expect(cluster.headers[0]).toMatchObject({ 'x-request-id': 'req-1', authorization: 'Bearer t', 'x-client-city': 'Dakar' });
  });

  it('asks one site for an unknown client, so that the site applies its access rules', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const response = await cluster.router().process(options('{client(id:"999"){name}}', {}, context));
    expect(response).toEqual({ data: { client: null } });
    expect(cluster.requests).toHaveLength(1);
  });

  it('splits aliased root fields by site and merges them in order', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const response = await cluster
      .router()
      .process(options('query($c:ID!){a:client(id:"1"){name} b:client(id:$c){name} c:client(id:"3"){name}}', { c: '2' }, context));
    expect(response.data).toEqual({ a: { name: 'Mamadou Ndiaye' }, b: { name: 'Awa Diop' }, c: { name: 'Ibrahima Ba' } });
    expect(cluster.requests.map((r) => [r.site, r.variables])).toEqual([
      ['dakar', {}],
      ['thies', { c: '2' }],
      ['saint-louis', {}],
    ]);
  });

  it('scatters clients without argument and concatenates; a site down gives partial data and an error', async () => {
    const cluster = new FakeCluster();
    cluster.down.add('saint-louis');
    const response = await cluster.router().process(options('{clients{id}}', {}, debugContext()));
    expect(response.data).toEqual({ clients: [{ id: '1' }, { id: '4' }, { id: '2' }] });
    expect(response.errors).toMatchObject([{ path: ['clients'], extensions: { code: 'SITE_UNAVAILABLE', site: 'SAINT_LOUIS' } }]);
  });

  it('routes entities by site and client directory, with null and SITE_UNAVAILABLE at the original index for a site down', async () => {
    const cluster = new FakeCluster();
    cluster.down.add('thies');
    const reps = [
      { __typename: 'StockLevel', productId: '103', site: 'THIES' },
      { __typename: 'Client', id: '1' },
      { __typename: 'StockLevel', productId: '105', site: 'SAINT_LOUIS' },
    ];
    const response = await cluster
      .router()
      .process(
        options(
          'query($representations:[_Any!]!){_entities(representations:$representations){...on StockLevel{quantity} ...on Client{name}}}',
          { representations: reps },
          debugContext(),
        ),
      );
    expect(response.data).toEqual({ _entities: [null, { name: 'Mamadou Ndiaye' }, { quantity: 5 }] });
    expect(response.errors).toMatchObject([{ path: ['_entities', 0], extensions: { code: 'SITE_UNAVAILABLE', site: 'THIES' } }]);
  });

  it('finds a client that moved since the directory answer was cached, in one retry', async () => {
    const cluster = new FakeCluster();
    const router = cluster.router();
    await router.process(options('{client(id:"2"){name}}', {}, debugContext()));
    cluster.clients.set('2', { id: '2', name: 'Awa Diop', city: 'Dakar', site: 'dakar' });
    const context = debugContext();
    const response = await router.process(options('{client(id:"2"){city}}', {}, context));
    expect(response).toEqual({ data: { client: { city: 'Dakar' } } });
    expect(routedFetches(context)).toEqual([
      { subgraph: 'regions', site: 'thies' },
      { subgraph: 'regions', site: 'dakar' },
    ]);
  });

  it('finds a moved client asked as an entity too, keeping the other entities in place', async () => {
    const cluster = new FakeCluster();
    const router = cluster.router();
    await router.process(options('{client(id:"2"){name}}', {}, debugContext()));
    cluster.clients.set('2', { id: '2', name: 'Awa Diop', city: 'Saint-Louis', site: 'saint-louis' });
    const context = debugContext();
    const response = await router.process(
      options(
        'query($representations:[_Any!]!){_entities(representations:$representations){...on Client{city}}}',
        { representations: [{ __typename: 'Client', id: '1' }, { __typename: 'Client', id: '2' }] },
        context,
      ),
    );
    expect(response).toEqual({ data: { _entities: [{ city: 'Dakar' }, { city: 'Saint-Louis' }] } });
    expect(routedFetches(context)).toEqual([
      { subgraph: 'regions', site: 'dakar' },
      { subgraph: 'regions', site: 'thies' },
      { subgraph: 'regions', site: 'saint-louis' },
    ]);
  });

  it('sends a mutation to the one site it names', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const response = await cluster
      .router()
      .process(options('mutation{restock(productId:"101",site:SAINT_LOUIS,quantity:3){site quantity}}', {}, context));
    expect(response.data).toEqual({ restock: { site: 'SAINT_LOUIS', quantity: 3 } });
    expect(routedFetches(context)).toEqual([{ subgraph: 'regions', site: 'saint-louis' }]);
  });

  it('sends an unknown city to one site and passes its error on', async () => {
    const cluster = new FakeCluster();
    const response = await cluster.router().process(options('{siteForCity(city:"Atlantis")}', {}, debugContext()));
    expect(response.data).toEqual({ siteForCity: null });
    expect(response.errors).toMatchObject([{ message: 'Unknown city "Atlantis"', path: ['siteForCity'] }]);
    expect(cluster.requests).toHaveLength(1);
  });

  it('looks for clients everywhere when the directory cannot answer', async () => {
    const cluster = new FakeCluster();
    const router = new SiteRouterDataSource({
      topology: cluster.topology,
      rules: REGIONS_ROUTING,
      fetcher: cluster.fetcher(),
      logger: { warn: () => {} },
      directory: {
        sitesOf: async () => {
          throw new DirectoryUnavailableError('ECONNREFUSED');
        },
        refresh: async () => {
          throw new DirectoryUnavailableError('ECONNREFUSED');
        },
      },
    });
    const response = await router.process(options('{client(id:"3"){name}}', {}, debugContext()));
    expect(response).toEqual({ data: { client: { name: 'Ibrahima Ba' } } });
    expect(cluster.requests.map((r) => r.site)).toEqual(['dakar', 'thies', 'saint-louis']);
  });

  it('x-client-city does not narrow clients without argument: every site’s clients come back', async () => {
    const cluster = new FakeCluster();
    const context = debugContext({ 'x-client-city': 'Dakar' });
    const response = await cluster.router().process(options('{clients{id}}', {}, context));
    expect(response.data).toEqual({ clients: [{ id: '1' }, { id: '4' }, { id: '2' }, { id: '3' }] });
    expect(routedFetches(context).map((f) => f.site)).toEqual(['dakar', 'thies', 'saint-louis']);
  });

  it('x-client-city picks the site of a field any site answers alike', async () => {
    const cluster = new FakeCluster();
    const context = debugContext({ 'x-client-city': 'Saint-Louis' });
    await cluster.router().process(options('{siteForCity(city:"Atlantis")}', {}, context));
    expect(routedFetches(context)).toEqual([{ subgraph: 'regions', site: 'saint-louis' }]);
  });

  it('a variable’s default value routes like the literal', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const response = await cluster.router().process(options('query($s:Site = THIES){clients(site:$s){id}}', {}, context));
    expect(response.data).toEqual({ clients: [{ id: '2' }] });
    expect(routedFetches(context)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
  });

  it('keeps a fragment’s @include when its field has its own, once the fetch is split by site', async () => {
    const cluster = new FakeCluster();
    const text =
      'query($a:Boolean!,$b:Boolean!){x:client(id:"1"){name} ... @include(if:$a){y:client(id:"2") @include(if:$b){name}}}';
    for (const [a, b] of [[false, true], [true, false], [false, false], [true, true]] as const) {
      const response = await cluster.router().process(options(text, { a, b }, debugContext()));
      const expected: Record<string, unknown> = { x: { name: 'Mamadou Ndiaye' } };
      if (a && b) expected.y = { name: 'Awa Diop' };
      expect(response.data, `a=${a} b=${b}`).toEqual(expected);
    }
  });

  it('routes aliased fields inside named and inline fragments, with @skip on the spread', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const response = await cluster
      .router()
      .process(
        options(
          'query($s:Boolean!){...F ... on Query{b:client(id:"2"){...N}} ...G @skip(if:$s)} fragment F on Query{a:client(id:"1"){...N}} fragment G on Query{c:client(id:"3"){name}} fragment N on Client{name city}',
          { s: true },
          context,
        ),
      );
    expect(response.data).toEqual({ a: { name: 'Mamadou Ndiaye', city: 'Dakar' }, b: { name: 'Awa Diop', city: 'Thiès' } });
    expect(routedFetches(context).map((f) => f.site)).toEqual(['dakar', 'thies']);
  });

  it('combines a product’s parts by the rule declared for each field, aliases included, not by the shape of the value', async () => {
    const cluster = new FakeCluster();
    const response = await cluster
      .router()
      .process(
        options(
          'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{total: stock threshold inventory{quantity}}}}',
          { representations: [{ __typename: 'Product', id: '101' }] },
          debugContext(),
        ),
      );
    expect(response.data).toEqual({
      _entities: [{ total: 6, threshold: 5, inventory: [{ quantity: 1 }, { quantity: 2 }, { quantity: 3 }] }],
    });
  });

  const STOCK_OF = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{stock inventory{site quantity}}}}';
  const reps = { representations: [{ __typename: 'Product', id: '101' }, { __typename: 'Product', id: '102' }] };
  const whole = (id: string) => ({ stock: 6, inventory: [{ site: 'DAKAR', quantity: 1 }, { site: 'THIES', quantity: 2 }, { site: 'SAINT_LOUIS', quantity: 3 }] });

  it('asks one site for every warehouse’s stock of a product batch, the gateway’s own, in one fetch', async () => {
    const cluster = new FakeCluster();
    const context = debugContext();
    const router = new SiteRouterDataSource({ topology: cluster.topology, directory: cluster.directory, rules: REGIONS_ROUTING, fetcher: cluster.fetcher(), homeSite: 'thies' });
    const response = await router.process(options(STOCK_OF, reps, context));
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ _entities: [whole('101'), whole('102')] });
    expect(routedFetches(context)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
    expect(cluster.headers[0]).toMatchObject({ [STOCK_SCOPE_HEADER]: EVERY_WAREHOUSE });
  });

  it('asks every site for its own part when the one site’s copies are too old, with the same answer', async () => {
    const cluster = new FakeCluster();
    cluster.staleCopies.add('dakar');
    const context = debugContext();
    const response = await cluster.router().process(options(STOCK_OF, reps, context));
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ _entities: [whole('101'), whole('102')] });
    expect(routedFetches(context).map((f) => f.site)).toEqual(['dakar', 'dakar', 'thies', 'saint-louis']);
  });

  it('does not ask a site that could not be reached twice: its part is unavailable, the others are there', async () => {
    const cluster = new FakeCluster();
    cluster.down.add('dakar');
    const context = debugContext();
    const response = await cluster.router().process(options(STOCK_OF, reps, context));
    expect(cluster.requests.map((r) => r.site)).toEqual(['thies', 'saint-louis']);
    const entities = response.data!._entities as { stock: number | null; inventory: unknown[] }[];
    expect(entities.map((e) => e.stock)).toEqual([null, null]);
    expect(entities[0]!.inventory).toEqual([null, { site: 'THIES', quantity: 2 }, { site: 'SAINT_LOUIS', quantity: 3 }]);
    expect(response.errors!.every((e) => e.extensions?.code === 'SITE_UNAVAILABLE' && e.extensions?.site === 'DAKAR')).toBe(true);
  });
});
