/**
 * The gateway's pages over plain HTTP: the front page and its links, GraphiQL and the console
 * served from the gateway with nothing loaded from elsewhere, and the console's snapshot, for
 * administrators only, telling the roles `teranga status` tells.
 */
import { describe, expect, it } from 'vitest';
import { clusterStatus } from '../cluster/status.ts';
import { gatewayOrigin, graphql, topology } from './support/cluster.ts';
import { expectCatalogueRouting } from './support/routing.ts';
import { asAdmin, asCustomer, bearer } from './support/tokens.ts';

const get = (pathname: string, headers: Record<string, string> = {}) => fetch(`${gatewayOrigin()}${pathname}`, { headers });

/** URLs a page or asset would load: src/href attributes, CSS url() and @import, dynamic import(). */
function loadedUrls(text: string): string[] {
  const patterns = [
    /\b(?:src|href)\s*=\s*["']([^"']+)["']/g,
    /url\(\s*["']?([^"')]+)["']?\s*\)/g,
    /@import\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bfrom\s*["'](https?:[^"']+)["']/g,
  ];
  return patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!));
}

const external = (urls: string[]) => urls.filter((u) => /^(?:https?:)?\/\//i.test(u));

describe('the front page', () => {
  it('links GraphQL, GraphiQL, the REST docs, the console and health, each of which answers', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    const html = await response.text();
    const links = [...html.matchAll(/<a class="entry" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['/graphql', '/graphiql', '/api/docs/', '/console', '/health']));
    for (const link of links) {
      const page = await get(link, { accept: 'text/html' });
      expect(page.status, link).toBe(200);
    }
    expect(external(loadedUrls(html))).toEqual([]);
  });
});

describe('GraphiQL at /graphiql', () => {
  it('loads its page and bundles from the gateway, with no external URL in the page or its assets', async () => {
    const response = await get('/graphiql');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = loadedUrls(html);
    expect(assets.sort()).toEqual(['/graphiql/graphiql.css', '/graphiql/graphiql.js', 'data:,'].sort());
    for (const asset of assets.filter((a) => a.startsWith('/'))) {
      const file = await get(asset);
      expect(file.status, asset).toBe(200);
      const text = await file.text();
      expect(text.length, asset).toBeGreaterThan(1000);
      expect(external(loadedUrls(text)), asset).toEqual([]);
      if (asset.endsWith('.css')) expect(text, 'stylesheet').not.toMatch(/https?:\/\//);
    }
  });

  it('leaves Apollo Sandbox at /graphql', async () => {
    const html = await (await get('/graphql', { accept: 'text/html' })).text();
    expect(html).toMatch(/sandbox/i);
  });
});

interface Snapshot {
  version: number;
  sites: { id: string; lat: number; lon: number }[];
  servers: { name: string; role: string; site: string | null }[];
  services: { name: string; role: string }[];
  twoPhaseCommit: { inDoubt: unknown[]; phases: { phase: string; count: number }[] };
  recentRequests: { operation: string; sites: string[]; caller: string }[];
  recentOrders: unknown[];
  paymentRelay: { backlog: number; oldestAgeMs: number | null } | null;
  wanLinks: unknown[];
  warnings: string[];
}

describe('the console', () => {
  it('serves its page and bundle with nothing from elsewhere', async () => {
    const html = await (await get('/console')).text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of loadedUrls(html).filter((a) => a.startsWith('/'))) {
      const text = await (await get(asset)).text();
      expect(external(loadedUrls(text)), asset).toEqual([]);
    }
  });

  it('gives the snapshot to administrators only', async () => {
    expect((await get('/console/api/snapshot')).status).toBe(401);
    expect((await get('/console/api/snapshot', await asCustomer(2))).status).toBe(403);
    expect((await get('/console/api/snapshot', bearer('not-a-token'))).status).toBe(401);
    expect((await get('/console/api/snapshot', await asAdmin())).status).toBe(200);
  });

  it('tells the roles teranga status tells, the sites with their coordinates, and the routing of the latest requests', async () => {
    await graphql('query ConsoleProbe { products(limit: 1) { id stock } }');
    // the snapshot gives each health check and metrics read 1.5 s: a service busy longer on a loaded
    // machine shows as not up for one poll, and the console's next poll shows it again
    let snapshot!: Snapshot;
    await expect
      .poll(async () => {
        snapshot = (await (await get('/console/api/snapshot', await asAdmin())).json()) as Snapshot;
        return { notUp: snapshot.services.filter((s) => s.role !== 'up'), warnings: snapshot.warnings };
      }, { timeout: 30_000 })
      .toEqual({ notUp: [], warnings: [] });
    const status = await clusterStatus(topology);
    expect(snapshot.version).toBe(1);
    expect(snapshot.sites.map((s) => s.id)).toEqual(['dakar', 'thies', 'saint-louis']);
    expect(snapshot.sites.find((s) => s.id === 'thies')).toMatchObject({ lat: 14.791, lon: -16.9359 });
    expect(Object.fromEntries(snapshot.servers.map((s) => [s.name, s.role]))).toEqual(Object.fromEntries(status.servers.map((s) => [s.name, s.role])));
    expect(snapshot.services.every((s) => s.role === 'up')).toBe(true);
    expect(snapshot.twoPhaseCommit.phases.map((p) => p.phase)).toEqual(['prepare', 'decision', 'commit']);
    expect(snapshot.warnings).toEqual([]);
    // the catalogue's stock of every warehouse is read at one site (the gateway's own, Dakar, with no
    // caller's city), from its own warehouse and its copies of the others (or at every site when a
    // copy is behind its bound)
    let probe: Snapshot['recentRequests'][number] | undefined;
    await expect
      .poll(async () => {
        const s = (await (await get('/console/api/snapshot', await asAdmin())).json()) as Snapshot;
        probe = s.recentRequests.find((r) => r.operation === 'ConsoleProbe');
        return probe;
      })
      .toMatchObject({ caller: 'anonymous' });
    expectCatalogueRouting(probe!.sites);
    // the relays' backlog over the three sites: a count, and the oldest's age only while one waits
    expect(snapshot.paymentRelay).toEqual({ backlog: expect.any(Number), oldestAgeMs: snapshot.paymentRelay!.backlog > 0 ? expect.any(Number) : null });
    expect(Number.isInteger(snapshot.paymentRelay!.backlog) && snapshot.paymentRelay!.backlog >= 0).toBe(true);
    expect(snapshot).toHaveProperty('wanLinks', []);
  });
});
