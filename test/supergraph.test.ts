/**
 * schema/supergraph.graphql is generated from the subgraph SDLs: it must match what composition
 * gives today, and composition must fail loudly.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTopology, REPO_ROOT } from '../lib/topology.ts';
import { composeSupergraph, CompositionError, generatedSupergraph, SUPERGRAPH_FILE } from '../gateway/supergraph.ts';

describe('the supergraph', () => {
  it('schema/supergraph.graphql is up to date', async () => {
    const committed = readFileSync(path.join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8');
    const fresh = await generatedSupergraph(REPO_ROOT);
    expect(committed === fresh, 'schema/supergraph.graphql is stale: run `npx teranga generate`').toBe(true);
  });

  it('names the three subgraphs, with the default local topology’s URLs', () => {
    const committed = readFileSync(path.join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8');
    const urls = [...committed.matchAll(/@join__graph\(name: "(\w+)", url: "([^"]+)"\)/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(urls)).toEqual({
      products: 'http://127.0.0.1:4001/graphql',
      orders: 'http://127.0.0.1:4002/graphql',
      regions: 'http://127.0.0.1:4003/graphql',
    });
  });

  it('composition errors fail with their messages', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'teranga-supergraph-'));
    try {
      cpSync(path.join(REPO_ROOT, 'schema'), path.join(root, 'schema'), { recursive: true });
      // the same field with two incompatible types in two subgraphs
      const orders = path.join(root, 'schema', 'orders.graphql');
      writeFileSync(orders, readFileSync(orders, 'utf8').replace(/type Client @key\(fields: "id", resolvable: false\) \{\n  id: ID!/, (m) => `${m}\n  name: Int @shareable`));
      const regions = path.join(root, 'schema', 'regions.graphql');
      writeFileSync(regions, readFileSync(regions, 'utf8').replace('  name: String!\n  "Canonical', '  name: String! @shareable\n  "Canonical'));
      const failure = await composeSupergraph({ ...buildTopology(), root }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CompositionError);
      expect((failure as CompositionError).messages.join('\n')).toMatch(/Client\.name/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
