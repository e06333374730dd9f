/**
 * The console and GraphiQL in a real browser (Debian's chromium driven by playwright-core): the
 * console shows the sites and roles, follows a primary killed with kill -9 (down, then its standby
 * promoted) without a reload, and neither page makes a request outside the cluster. Screenshots go
 * to .teranga-test/. Skipped, saying why, where chromium is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDataDir } from '../cluster/cluster.ts';
import { failover } from '../cluster/failover.ts';
import { postmasterPid } from '../cluster/postgres-server.ts';
import { rebuildStandby } from '../cluster/rebuild-standby.ts';
import { readState } from '../cluster/state.ts';
import { gatewayOrigin, graphql, topology } from './support/cluster.ts';
import { adminToken, asCustomer } from './support/tokens.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium)`;
const SCREENSHOTS = path.join(topology.dataDir);

/** Flags for a browser that talks to nothing but the page's own server. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Every request the pages made, whatever its origin; the ones outside the cluster are refused. */
const requested: string[] = [];

/** A browser with a fresh profile of its own, whose every request goes through the filter below. */
async function openBrowser(userDataDir: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  const origin = gatewayOrigin();
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (url.startsWith(`${origin}/`) || url.startsWith('data:')) await route.continue();
    else await route.abort('blockedbyclient');
  });
  return context;
}

const outside = () => requested.filter((u) => !u.startsWith(`${gatewayOrigin()}/`) && !u.startsWith('data:'));

describe.skipIf(MISSING !== null)(`the console and GraphiQL in chromium${MISSING ? ` (skipped: ${MISSING})` : ''}`, () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    userDataDir = mkdtempSync(path.join(SCREENSHOTS, 'chromium-profile-'));
    context = await openBrowser(userDataDir);
    page = context.pages()[0] ?? (await context.newPage());
    // something to show: a catalogue read and an order drawing on two warehouses
    await graphql('{ products(limit: 3) { id name stock } }');
    const placed = await graphql(
      'mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status lines { site quantity } } error { code } } }',
      { i: { clientId: '2', idempotencyKey: `console-browser-${Date.now()}`, paymentMethod: 'WAVE', items: [{ productId: '101', quantity: 1 }] } },
      { headers: await asCustomer(2) },
    );
    expect(placed.errors, JSON.stringify(placed.errors)).toBeUndefined();
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    // leave thies as the files after this one expect it: thies primary, thies-standby streaming from it
    const state = readState(topology)!;
    if (state.primaries.thies === 'thies-standby') {
      if (state.rebuildPending?.includes('thies')) await rebuildStandby(topology, 'thies');
      await failover(topology, 'thies');
    }
    if (readState(topology)!.rebuildPending?.includes('thies-standby')) await rebuildStandby(topology, 'thies');
  });

  it('asks for a token, then shows the three sites with their primaries and standbys', async () => {
    await page.goto(`${gatewayOrigin()}/console`);
    await page.locator('#login').waitFor();
    await page.locator('#token').fill(await adminToken());
    await page.locator('#login button').click();
    for (const site of ['dakar', 'thies', 'saint-louis']) {
      await page.locator(`section.site-card[data-site="${site}"] tr[data-server="${site}"][data-role="primary"]`).waitFor();
      await page.locator(`section.site-card[data-site="${site}"] tr[data-server="${site}-standby"][data-role="standby"]`).waitFor();
      await expect(page.locator(`svg.map g.site[data-site="${site}"]`).getAttribute('class')).resolves.toContain('site-ok');
    }
    await expect(page.locator('section.site-card[data-site="thies"] h3').innerText()).resolves.toContain('Thiès');
    await expect(page.locator('tr[data-server="coordinator"]').getAttribute('data-role')).resolves.toBe('primary');
    await expect(page.locator('tr[data-service="gateway"]').innerText()).resolves.toMatch(/up/i);
    await page.getByText('Latest orders').waitFor();
    await page.locator('text=CONFIRMED').first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png'), fullPage: true });
  });

  it('shows a primary killed with kill -9 down, then its standby promoted, without a reload', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    const pid = postmasterPid(serverDataDir(readState(topology)!.pgRoot, 'thies'));
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    await page.locator('section.site-card[data-site="thies"] tr[data-server="thies"][data-role="down"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('svg.map g.site[data-site="thies"]').getAttribute('class')).resolves.toMatch(/site-(down|degraded)/);
    await failover(topology, 'thies');
    await page.locator('section.site-card[data-site="thies"] tr[data-server="thies-standby"][data-role="primary"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('section.site-card[data-site="thies"] .note').innerText()).resolves.toContain('failed over to thies-standby');
    await expect(page.locator('svg.map g.site[data-site="thies"] .site-role').textContent()).resolves.toBe('primary: thies-standby');
    expect(navigations).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-failover.png'), fullPage: true });
  });

  it('serves GraphiQL from the gateway, which runs a query with the token set in its bar', async () => {
    const ide = await context.newPage();
    await ide.goto(`${gatewayOrigin()}/graphiql`);
    await ide.locator('.graphiql-container').waitFor();
    await ide.locator('#token').fill(await adminToken());
    await ide.locator('.token-bar button').click();
    await ide.locator('.token-bar .state.on').waitFor();
    const answer = ide.waitForResponse((r) => r.url() === `${gatewayOrigin()}/graphql` && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('Catalog'));
    await ide.locator('.graphiql-execute-button').click();
    const response = await answer;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toMatch(/^Bearer /);
    await ide.locator('.result-window').getByText('"products"').waitFor();
    await ide.screenshot({ path: path.join(SCREENSHOTS, 'graphiql.png') });
    await ide.close();
  });

  it('made no request outside the cluster', () => {
    expect(requested.length).toBeGreaterThan(5);
    expect(outside()).toEqual([]);
  });
});
