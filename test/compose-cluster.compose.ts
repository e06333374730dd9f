/**
 * compose.yaml run for real: a Docker engine (the running one, or a private dockerd), the images
 * (official ones if they can be pulled, else built locally from Debian's packages), `docker-compose
 * up` with host ports of its own, every healthcheck waited for, then a smoke subset of the e2e
 * suite against the compose cluster over its published ports, and `down -v`.
 * Skipped, saying why, where Docker cannot run at all.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_IMAGE_ENV, COMPOSE_FILE, hostPortVariable, PG_IMAGE_ENV, SECRETS } from '../cluster/compose.ts';
import { buildTopology, connectionString, REPO_ROOT, SITE_IDS, serverByName, type SiteId } from '../lib/topology.ts';
import { docker, dockerUnavailableReason, startDockerEngine, type DockerEngine } from './support/docker-engine.ts';
import { appImage, localImages } from './support/local-images.ts';
import '../lib/db/connect.ts';

const run = promisify(execFile);

const WORK = path.join(REPO_ROOT, '.teranga-compose');
const PROJECT = 'teranga-compose-test';
const port = (name: string, fallback: number) => {
  const raw = process.env[name];
  return raw ? Number(raw) : fallback;
};
// Host ports of their own, so the test runs beside `npm start` and the e2e tier.
const published = buildTopology({
  servicePort: port('TERANGA_COMPOSE_TEST_PORT', port('TERANGA_TEST_PORT', 24000) + 50),
  pgPort: port('TERANGA_COMPOSE_TEST_PG_PORT', port('TERANGA_TEST_PG_PORT', 25400) + 50),
});
const composeTopology = buildTopology({ network: 'compose' });

const unavailable = dockerUnavailableReason();
if (unavailable) console.warn(`compose test skipped: ${unavailable}`);

let engine: DockerEngine | undefined;
let composeEnv: NodeJS.ProcessEnv = {};
const timings: string[] = [];

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const result = await work();
  timings.push(`${what} ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

async function compose(args: string[], timeoutMs = 300_000): Promise<string> {
  const { stdout } = await run('docker-compose', ['-p', PROJECT, '--env-file', path.join(WORK, 'empty.env'), '-f', path.join(REPO_ROOT, COMPOSE_FILE), ...args], {
    cwd: REPO_ROOT,
    env: composeEnv,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

interface ContainerState {
  name: string;
  service: string;
  status: string;
  exitCode: number;
  health: string | null;
}

async function containers(): Promise<ContainerState[]> {
  const ids = (await docker(engine!.host, ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`])).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const raw = JSON.parse(await docker(engine!.host, ['inspect', ...ids])) as Array<{
    Name: string;
    Config: { Labels: Record<string, string> };
    State: { Status: string; ExitCode: number; Health?: { Status: string } };
  }>;
  return raw.map((c) => ({
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels['com.docker.compose.service'] ?? '',
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status ?? null,
  }));
}

async function sqlAt<T extends pg.QueryResultRow>(server: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: connectionString(published, serverByName(published, server)) });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const gatewayUrl = () => {
  const gateway = published.services.find((s) => s.kind === 'gateway')!;
  return `http://127.0.0.1:${gateway.port}/graphql`;
};

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<{ data?: T; errors?: unknown[] }> {
  const response = await fetch(gatewayUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { data?: T; errors?: unknown[] };
}

/**
 * Tokens minted the way the README tells a Docker user to (`docker compose run --rm secrets npx
 * teranga token …`), the three the smoke test needs in one run.
 */
let minted: Promise<Record<string, string>> | undefined;
async function token(...args: string[]): Promise<string> {
  const wanted = [['--admin'], ['--client', '1'], ['--client', '2']];
  minted ??= compose(
    ['run', '--rm', '-T', SECRETS.service, 'sh', '-c', wanted.map((w) => `npx teranga token ${w.join(' ')}`).join(' && ')],
    180_000,
  ).then((out) => {
    const jwts = out.trim().split('\n').filter((line) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(line));
    expect(jwts).toHaveLength(wanted.length);
    return Object.fromEntries(wanted.map((w, i) => [w.join(' '), jwts[i]!]));
  });
  const jwt = (await minted)[args.join(' ')];
  if (!jwt) throw new Error(`no token minted for ${args.join(' ')}`);
  return jwt;
}

async function stockAt(site: SiteId, productId: number): Promise<number> {
  const [row] = await sqlAt<{ quantite: number }>(site, 'SELECT quantite FROM stock WHERE produit_id = $1', [productId]);
  return row!.quantite;
}

async function fingerprint(): Promise<string> {
  const parts: string[] = [];
  for (const site of SITE_IDS) {
    const [row] = await sqlAt<{ f: string }>(
      site,
      `SELECT concat_ws('|',
         (SELECT md5(string_agg(produit_id || ':' || quantite, ',' ORDER BY produit_id)) FROM stock),
         (SELECT count(*) FROM commande), (SELECT count(*) FROM ligne_commande), (SELECT count(*) FROM paiement),
         (SELECT count(*) FROM mouvement_stock), (SELECT count(*) FROM pg_prepared_xacts)) AS f`,
    );
    parts.push(`${site}=${row!.f}`);
  }
  return parts.join('\n');
}

describe.skipIf(Boolean(unavailable))('docker compose up, end to end', () => {
  beforeAll(async () => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(path.join(WORK, 'empty.env'), '');
    engine = await timed('engine', () => startDockerEngine(WORK));
    const images = await timed('images', () => localImages(engine!.host, path.join(WORK, 'rootfs')));
    console.log(`compose test: engine ${engine.host}${engine.private ? ' (private dockerd)' : ''}; ${images.notes.join('; ')}`);
    const appTag = `${PROJECT}/app`;
    // The Dockerfile, built as compose would (compose then runs with --no-build).
    const app = await timed('app image', () => appImage(engine!.host, REPO_ROOT, images.node, appTag));
    console.log(`compose test: ${appTag}: ${app}`);

    // Only what compose.yaml reads: a developer's own keys or ports must not leak in.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('TERANGA_') && !name.startsWith('COMPOSE_')),
    );
    const ports = Object.fromEntries(
      [...composeTopology.postgres, ...composeTopology.services].map((item) => {
        // by kind too: the payment service and its database share a name
        const same = (item.kind === 'postgres' ? published.postgres : published.services).find((s) => s.name === item.name)!;
        return [hostPortVariable(composeTopology, item), String(same.port)];
      }),
    );
    composeEnv = { ...inherited, DOCKER_HOST: engine.host, [PG_IMAGE_ENV]: images.postgres, [APP_IMAGE_ENV]: appTag, ...ports };
    await compose(['down', '-v', '--remove-orphans'], 120_000).catch(() => '');
    await timed('up', () => compose(['up', '-d', '--no-build'], 600_000)).catch(async (error: Error) => {
      const logs = await compose(['logs', '--no-color', '--tail', '25']).catch((e: Error) => e.message);
      throw new Error(`docker-compose up failed: ${error.message}\n${logs}`);
    });
  }, 1_200_000);

  afterAll(async () => {
    if (engine) {
      if (composeEnv.DOCKER_HOST) {
        await timed('down -v', () => compose(['down', '-v', '--remove-orphans', '-t', '5'], 180_000)).catch((error: Error) => console.error(`down -v: ${error.message}`));
      }
      await engine.stop();
    }
    console.log(`compose test timings: ${timings.join(', ')}`);
  }, 300_000);

  it('starts every service, waits for every healthcheck, and runs the one-shot services to completion', async () => {
    const deadline = Date.now() + 240_000;
    let states: ContainerState[] = [];
    for (;;) {
      states = await containers();
      const failed = states.filter((c) => (c.status === 'exited' && c.exitCode !== 0) || c.health === 'unhealthy');
      if (failed.length) {
        const logs = await Promise.all(failed.map((c) => compose(['logs', '--no-color', '--tail', '40', c.service]).catch((e: Error) => e.message)));
        throw new Error(`failed: ${failed.map((c) => `${c.service} (${c.status} ${c.exitCode} ${c.health ?? ''})`).join(', ')}\n${logs.join('\n')}`);
      }
      const ready = (c: ContainerState) => (c.health ? c.health === 'healthy' : c.status === 'running' || (c.status === 'exited' && c.exitCode === 0));
      if (states.length > 0 && states.every(ready)) break;
      if (Date.now() > deadline) throw new Error(`not ready: ${states.filter((c) => !ready(c)).map((c) => `${c.service} ${c.status} ${c.health ?? ''}`).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const services = new Set(states.map((c) => c.service));
    expect([...services].sort()).toEqual(Object.keys((await import('yaml')).parse(await compose(['config'])).services).sort());
    for (const oneShot of ['secrets', 'migrate']) {
      expect(states.find((c) => c.service === oneShot), oneShot).toMatchObject({ status: 'exited', exitCode: 0 });
    }
    for (const server of composeTopology.postgres) {
      expect(states.find((c) => c.service === server.name)?.health, server.name).toBe('healthy');
    }
    expect(states.find((c) => c.service === 'gateway')?.health).toBe('healthy');
    timings.push(`healthy ${new Date().toISOString()}`);
  }, 300_000);

  it('generated the secrets at the first start, keeps them afterwards, and gives the services no private key', async () => {
    expect(await compose(['logs', '--no-color', SECRETS.service])).toMatch(/token key pair: generated/);
    const again = await compose(['run', '--rm', '-T', SECRETS.service], 120_000);
    expect(again).toMatch(/internal secret: kept/);
    expect(again).toMatch(/token key pair: kept/);
    const listing = await compose(['exec', '-T', 'gateway', 'ls', '-A', SECRETS.dir, SECRETS.signingDir]);
    expect(listing).toContain(SECRETS.publicKeyFile);
    expect(listing).toContain(SECRETS.internalSecretFile);
    expect(listing).not.toContain(SECRETS.privateKeyFile);
  }, 240_000);

  it('serves the catalogue with the stock of the three sites', async () => {
    const result = await graphql<{ product: { id: string; stock: number; inventory: { site: string; quantity: number }[] } }>(
      'query($id: ID!) { product(id: $id) { id stock inventory { site quantity } } }',
      { id: '108' },
    );
    expect(result.errors).toBeUndefined();
    const expected = await Promise.all(SITE_IDS.map(async (site) => ({ site, quantity: await stockAt(site, 108) })));
    const inventory = result.data!.product.inventory.map((i) => ({ site: i.site.toLowerCase().replace('_', '-'), quantity: i.quantity }));
    expect(inventory.sort((a, b) => a.site.localeCompare(b.site))).toEqual(expected.sort((a, b) => a.site.localeCompare(b.site)));
    expect(result.data!.product.stock).toBe(expected.reduce((sum, e) => sum + e.quantity, 0));
  });

  it('reads a client at their site, with their own token', async () => {
    const result = await graphql<{ client: { id: string; city: string; site: string } }>('{ client(id: "2") { id city site } }', {}, await token('--client', '2'));
    expect(result.errors).toBeUndefined();
    const [row] = await sqlAt<{ ville: string }>(result.data!.client.site.toLowerCase().replace('_', '-'), 'SELECT ville FROM client WHERE id = 2');
    expect(row?.ville).toBe(result.data!.client.city);
  }, 120_000);

  const PLACE_ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id site } error { code productId available } } }`;
  type Placed = { placeOrder: { order: { id: string; site: string } | null; error: { code: string; productId: string | null; available: number | null } | null } };
  let orderId = '';

  it('commits an order drawing on the three warehouses', async () => {
    // client 1 is in Dakar; product 108 is stocked at the three sites
    const before = { dakar: await stockAt('dakar', 108), thies: await stockAt('thies', 108), sl: await stockAt('saint-louis', 108) };
    expect(before.sl).toBeGreaterThan(2);
    const quantity = before.dakar + before.thies + 2;
    const result = await graphql<Placed>(PLACE_ORDER, { i: { clientId: '1', items: [{ productId: '108', quantity }], paymentMethod: 'CARD' } }, await token('--client', '1'));
    expect(result.errors).toBeUndefined();
    expect(result.data!.placeOrder.error).toBeNull();
    expect(result.data!.placeOrder.order!.site).toBe('DAKAR');
    orderId = result.data!.placeOrder.order!.id;
    // the client's site committed before the answer; the other sites' COMMIT PREPARED follows it
    await expect
      .poll(async () => [await stockAt('dakar', 108), await stockAt('thies', 108), await stockAt('saint-louis', 108)], { timeout: 30_000, interval: 200 })
      .toEqual([0, 0, before.sl - 2]);
    const lines = await sqlAt<{ site: string; quantite: number }>('dakar', 'SELECT site, quantite FROM ligne_commande WHERE commande_id = $1 ORDER BY site', [orderId]);
    expect(lines).toEqual([
      { site: 'dakar', quantite: before.dakar },
      { site: 'saint-louis', quantite: 2 },
      { site: 'thies', quantite: before.thies },
    ]);
    // the capture is the payment relay's: like the other sites' COMMIT PREPARED, it follows the
    // answer, by seconds on a loaded machine
    await expect
      .poll(() => sqlAt<{ statut: string }>('dakar', 'SELECT statut FROM paiement WHERE commande_id = $1', [orderId]), { timeout: 30_000, interval: 200 })
      .toEqual([{ statut: 'CAPTURE' }]);
    for (const server of composeTopology.postgres.filter((s) => s.role === 'primary')) {
      await expect.poll(() => sqlAt(server.name, 'SELECT gid FROM pg_prepared_xacts'), { message: server.name, timeout: 30_000, interval: 200 }).toEqual([]);
    }
  }, 120_000);

  it('refuses an order it cannot serve and changes nothing', async () => {
    const before = await fingerprint();
    const result = await graphql<Placed>(PLACE_ORDER, { i: { clientId: '3', items: [{ productId: '101', quantity: 1 }, { productId: '107', quantity: 500 }] } }, await token('--admin'));
    expect(result.errors).toBeUndefined();
    expect(result.data!.placeOrder.order).toBeNull();
    expect(result.data!.placeOrder.error).toMatchObject({ code: 'OUT_OF_STOCK', productId: '107' });
    expect(await fingerprint()).toBe(before);
  }, 120_000);

  it('streams every primary to its standby, which has the committed order', async () => {
    for (const primary of composeTopology.postgres.filter((s) => s.role === 'primary')) {
      const standby = composeTopology.postgres.find((s) => s.upstream === primary.name)!;
      const rows = await sqlAt<{ state: string; sync_state: string }>(primary.name, 'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1', [standby.name]);
      expect(rows, primary.name).toEqual([{ state: 'streaming', sync_state: 'sync' }]);
      expect(await sqlAt<{ r: boolean }>(standby.name, 'SELECT pg_is_in_recovery() AS r'), standby.name).toEqual([{ r: true }]);
    }
    expect(orderId).not.toBe('');
    // synchronous replication (remote_apply): committed at the primary means applied at the standby
    expect(await sqlAt('dakar-standby', 'SELECT id FROM commande WHERE id = $1', [orderId])).toHaveLength(1);
  });
});
