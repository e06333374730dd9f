/**
 * The console page: polls the snapshot every two seconds and redraws. The token comes from the
 * address's fragment (`#token=…`, which browsers never send) or the form, and stays in this tab.
 */
import './style.css';
import type { Server, Service, Site, Snapshot } from './model.ts';
import { ATLANTIC, BOUNDS, GAMBIA, NEIGHBOURS, SENEGAL, type LonLat } from './senegal.ts';

const SNAPSHOT_URL = '/console/api/snapshot';
const POLL_MS = 2_000;
const TOKEN_KEY = 'teranga-console-token';

const app = document.getElementById('app')!;

function escape(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function takeTokenFromAddress(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]!));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

function showLogin(message: string): void {
  app.innerHTML = `
    <header class="top"><h1>Teranga <span>console</span></h1></header>
    <form class="login" id="login">
      <h2>Administrator token</h2>
      <p>${escape(message)}</p>
      <p>Get one with <code>npx teranga token --admin</code>, or open <code>/console#token=&lt;token&gt;</code>.</p>
      <textarea id="token" rows="4" spellcheck="false" placeholder="eyJ…"></textarea>
      <button type="submit">Open the console</button>
    </form>`;
  document.getElementById('login')!.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (document.getElementById('token') as HTMLTextAreaElement).value.trim().replace(/^Bearer\s+/i, '');
    if (value === '') return;
    sessionStorage.setItem(TOKEN_KEY, value);
    void poll();
  });
}

// ---------------------------------------------------------------- the map

const MAP_W = 640;
const MAP_H = Math.round((MAP_W * (BOUNDS.north - BOUNDS.south)) / ((BOUNDS.east - BOUNDS.west) * Math.cos((14.5 * Math.PI) / 180)));

function project([lon, lat]: LonLat): [number, number] {
  const x = ((lon - BOUNDS.west) / (BOUNDS.east - BOUNDS.west)) * MAP_W;
  const y = ((BOUNDS.north - lat) / (BOUNDS.north - BOUNDS.south)) * MAP_H;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

const pathOf = (points: readonly LonLat[]) => `M${points.map((p) => project(p).join(',')).join('L')}Z`;

type Health = 'ok' | 'degraded' | 'down';

interface SiteHealth {
  readonly health: Health;
  readonly primary: Server | undefined;
  readonly servers: Server[];
  readonly service: Service | undefined;
  readonly note: string;
}

function databaseHealth(servers: Server[]): { health: Health; primary: Server | undefined; note: string } {
  const primary = servers.find((s) => s.role === 'primary');
  if (!primary) return { health: 'down', primary, note: 'no primary' };
  const promoted = primary.name.endsWith('-standby');
  const others = servers.filter((s) => s !== primary);
  const streaming = others.filter((s) => s.role === 'standby' && s.replication?.state === 'streaming');
  if (promoted) return { health: 'degraded', primary, note: `failed over to ${primary.name}` };
  if (streaming.length < others.length) return { health: 'degraded', primary, note: 'standby not streaming' };
  return { health: 'ok', primary, note: 'primary + streaming standby' };
}

function siteHealth(snapshot: Snapshot, site: Site): SiteHealth {
  const servers = snapshot.servers.filter((s) => s.site === site.id);
  const service = snapshot.services.find((s) => s.site === site.id);
  const db = databaseHealth(servers);
  if (service?.role !== 'up') return { ...db, servers, service, health: 'down', note: `${service?.name ?? 'region service'} down` };
  return { ...db, servers, service };
}

function mapSvg(snapshot: Snapshot): string {
  const sites = snapshot.sites.map((site) => ({ site, at: project([site.lon, site.lat]), h: siteHealth(snapshot, site) }));
  const links = snapshot.wanLinks ?? [];
  const linkLines: string[] = [];
  for (let i = 0; i < sites.length; i++) {
    for (let j = i + 1; j < sites.length; j++) {
      const a = sites[i]!;
      const b = sites[j]!;
      const link = links.find((l) => (l.from === a.site.id && l.to === b.site.id) || (l.from === b.site.id && l.to === a.site.id));
      const [mx, my] = [(a.at[0] + b.at[0]) / 2, (a.at[1] + b.at[1]) / 2];
      linkLines.push(
        `<line class="link ${link ? `link-${escape(link.state)}` : ''}" x1="${a.at[0]}" y1="${a.at[1]}" x2="${b.at[0]}" y2="${b.at[1]}"/>` +
          (link?.latencyMs != null ? `<text class="link-label" x="${mx}" y="${my - 4}">${link.latencyMs.toFixed(0)} ms</text>` : ''),
      );
    }
  }
  // labels go where the sea or the north leaves room: Dakar to the west, the others to the east
  const markers = sites.map(({ site, at: [x, y], h }) => {
    // the westernmost site (Dakar, on its peninsula) is labelled below, over the sea
    const west = site.lon < -17;
    const [lx, ly] = west ? [x - 6, y + 32] : [x + 16, y - 2];
    const anchor = west ? 'middle' : 'start';
    const role = h.primary ? `primary: ${h.primary.name}` : 'no primary';
    return `<g class="site site-${h.health}" data-site="${escape(site.id)}">
      <circle class="halo" cx="${x}" cy="${y}" r="15"/>
      <circle class="dot" cx="${x}" cy="${y}" r="8"/>
      <text class="site-name" x="${lx}" y="${ly}" text-anchor="${anchor}">${escape(site.city)}</text>
      <text class="site-role" x="${lx}" y="${ly + 16}" text-anchor="${anchor}">${escape(role)}</text>
    </g>`;
  });
  const [gx, gy] = project([-15.3, 13.47]);
  return `<svg class="map" viewBox="0 0 ${MAP_W} ${MAP_H}" role="img" aria-label="Map of Senegal with the three sites">
    <rect class="abroad" x="0" y="0" width="${MAP_W}" height="${MAP_H}"/>
    <path class="sea" d="${pathOf(ATLANTIC)}"/>
    ${NEIGHBOURS.map((n) => `<text class="neighbour" x="${project(n.at)[0]}" y="${project(n.at)[1]}">${escape(n.name)}</text>`).join('')}
    <path class="land" d="${pathOf(SENEGAL)}"/>
    <path class="gambia" d="${pathOf(GAMBIA)}"/>
    <text class="country" x="${gx}" y="${gy + 4}">The Gambia</text>
    <text class="ocean" x="${project([-18.0, 13.4])[0]}" y="${project([-18.0, 13.4])[1]}">Atlantic</text>
    ${linkLines.join('')}
    ${markers.join('')}
  </svg>`;
}

// ---------------------------------------------------------------- panels

const badge = (text: string, kind: string) => `<span class="badge badge-${escape(kind)}">${escape(text)}</span>`;

function lagText(server: Server): string {
  const r = server.replication;
  if (server.role !== 'standby') return server.rebuildPending ? 'needs rebuild-standby' : '';
  if (!r) return 'not streaming';
  const ms = r.replayLagMs === null ? '' : ` · ${r.replayLagMs.toFixed(1)} ms`;
  return `${r.state} ${r.sync} · ${formatBytes(r.lagBytes)}${ms}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function serverRow(server: Server): string {
  const role = server.role === 'down' ? badge('down', 'down') : badge(server.role, server.role);
  const promoted = server.role === 'primary' && server.name.endsWith('-standby') ? ` ${badge('promoted', 'warn')}` : '';
  return `<tr class="server" data-server="${escape(server.name)}" data-role="${escape(server.role)}">
    <td class="name">${escape(server.name)}</td>
    <td>${role}${promoted}</td>
    <td class="muted">${escape(`${server.host}:${server.port}`)}</td>
    <td class="muted">${escape(lagText(server))}</td>
  </tr>`;
}

function siteCard(snapshot: Snapshot, site: Site): string {
  const h = siteHealth(snapshot, site);
  const service = h.service ? `${escape(h.service.name)} ${badge(h.service.role, h.service.role)}` : '';
  return `<section class="card site-card site-${h.health}" data-site="${escape(site.id)}">
    <h3><span class="light"></span>${escape(site.city)} <small>${escape(site.code)}</small></h3>
    <p class="note">${escape(h.note)}</p>
    <table>${h.servers.map(serverRow).join('')}</table>
    <p class="svc">${service}</p>
  </section>`;
}

function databasesCard(snapshot: Snapshot): string {
  const shared = snapshot.servers.filter((s) => s.site === null);
  const names = [...new Set(shared.map((s) => s.database))];
  return `<section class="card">
    <h2>Shared databases</h2>
    ${names
      .map((db) => {
        const servers = shared.filter((s) => s.database === db);
        const h = databaseHealth(servers);
        return `<h3 class="db site-${h.health}"><span class="light"></span>${escape(db)} <small>${escape(h.note)}</small></h3>
          <table>${servers.map(serverRow).join('')}</table>`;
      })
      .join('')}
  </section>`;
}

function servicesCard(snapshot: Snapshot): string {
  return `<section class="card">
    <h2>Services</h2>
    <table class="list">
      <tr><th>service</th><th>state</th><th>address</th><th>pid</th></tr>
      ${snapshot.services
        .map(
          (s) => `<tr data-service="${escape(s.name)}"><td class="name">${escape(s.name)}</td><td>${badge(s.role, s.role)}</td>
            <td class="muted">${escape(`${s.host}:${s.port}`)}</td><td class="muted">${escape(s.pid ?? '–')}</td></tr>`,
        )
        .join('')}
    </table>
  </section>`;
}

function ageText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function twoPhaseCard(snapshot: Snapshot): string {
  const t = snapshot.twoPhaseCommit;
  const rows = t.inDoubt.length
    ? t.inDoubt
        .map((d) => `<tr><td>${escape(d.site)}</td><td class="mono">${escape(d.gid)}</td><td class="${d.ageMs > 10_000 ? 'warn' : ''}">${ageText(d.ageMs)}</td></tr>`)
        .join('')
    : `<tr><td colspan="3" class="muted">none prepared right now</td></tr>`;
  const phases = t.phases
    .map((p) => `<div class="figure"><b>${p.meanMs === null ? '–' : `${p.meanMs.toFixed(1)} ms`}</b><span>${escape(p.phase)} · ${p.count}</span></div>`)
    .join('');
  const outcomes = t.outcomes.map((o) => `${badge(`${o.operation} ${o.code}: ${o.count}`, o.code === 'CONFIRMED' || o.code === 'CANCELLED' ? 'up' : 'warn')}`).join(' ');
  return `<section class="card">
    <h2>Two-phase commit</h2>
    <div class="figures">${phases}<div class="figure"><b>${t.recoveryPending ?? '–'}</b><span>left by recovery</span></div></div>
    <p>${outcomes || '<span class="muted">no order yet</span>'}</p>
    <h3>In-doubt shares</h3>
    <table class="list"><tr><th>site</th><th>transaction</th><th>age</th></tr>${rows}</table>
    ${t.unreachable.length ? `<p class="warn">not asked: ${escape(t.unreachable.join(', '))}</p>` : ''}
  </section>`;
}

const timeOf = (iso: string) => new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
const siteChips = (sites: string[]) => sites.map((s) => `<span class="chip">${escape(s)}</span>`).join('') || '<span class="muted">–</span>';

function ordersCard(snapshot: Snapshot): string {
  const rows = snapshot.recentOrders.length
    ? snapshot.recentOrders
        .map(
          (o) => `<tr><td class="muted">${timeOf(o.at)}</td><td class="mono">${escape(o.orderId?.slice(0, 8) ?? '–')}</td>
            <td>${o.status ? badge(o.status, o.status === 'CONFIRMED' ? 'up' : 'warn') : badge(o.error ?? 'refused', 'down')}</td>
            <td class="chips">${siteChips(o.sites)}</td><td class="num">${o.durationMs} ms</td></tr>`,
        )
        .join('')
    : `<tr><td colspan="5" class="muted">no order through this gateway since it started</td></tr>`;
  return `<section class="card wide">
    <h2>Latest orders</h2>
    <table class="list"><tr><th>at</th><th>order</th><th>outcome</th><th>warehouses</th><th>took</th></tr>${rows}</table>
  </section>`;
}

function requestsCard(snapshot: Snapshot): string {
  const rows = snapshot.recentRequests.length
    ? snapshot.recentRequests
        .slice(0, 12)
        .map(
          (r) => `<tr><td class="muted">${timeOf(r.at)}</td><td class="name">${escape(r.operation)}</td><td class="muted">${escape(r.caller)}</td>
            <td class="chips">${[...new Set(r.fetches.map((f) => f.site ?? f.subgraph))].map((s) => `<span class="chip">${escape(s)}</span>`).join('')}</td>
            <td>${r.errorCodes.length ? badge(r.errorCodes[0]!, 'down') : ''}</td><td class="num">${r.durationMs} ms</td></tr>`,
        )
        .join('')
    : `<tr><td colspan="6" class="muted">no request yet</td></tr>`;
  return `<section class="card wide">
    <h2>Latest requests and their routing</h2>
    <table class="list"><tr><th>at</th><th>operation</th><th>caller</th><th>served by</th><th></th><th>took</th></tr>${rows}</table>
  </section>`;
}

function extrasCard(snapshot: Snapshot): string {
  const parts: string[] = [];
  if (snapshot.paymentRelay) {
    const p = snapshot.paymentRelay;
    parts.push(`<div class="figure"><b>${p.backlog}</b><span>payments waiting${p.oldestAgeMs === null ? '' : ` · oldest ${ageText(p.oldestAgeMs)}`}</span></div>`);
  }
  if ((snapshot.gateways?.length ?? 0) > 1) {
    parts.push(snapshot.gateways!.map((g) => `${escape(g.name)} ${badge(g.role, g.role)}`).join(' '));
  }
  for (const [name, value] of Object.entries(snapshot.extensions ?? {})) {
    parts.push(`<h3>${escape(name)}</h3><pre>${escape(JSON.stringify(value, null, 2))}</pre>`);
  }
  return parts.length ? `<section class="card"><h2>More</h2>${parts.join('')}</section>` : '';
}

function render(snapshot: Snapshot, stale: string | null): void {
  const sites = snapshot.sites.map((s) => siteCard(snapshot, s)).join('');
  const warnings = [...(stale ? [stale] : []), ...snapshot.warnings];
  app.innerHTML = `
    <header class="top">
      <h1>Teranga <span>console</span></h1>
      <div class="status"><span class="pulse ${stale ? 'stale' : ''}"></span>
        ${stale ? 'last known picture' : 'live'} · ${escape(timeOf(snapshot.generatedAt))} · ${escape(snapshot.network)} network</div>
    </header>
    ${warnings.length ? `<div class="warnings">${warnings.map((w) => `<p>${escape(w)}</p>`).join('')}</div>` : ''}
    <main>
      <div class="row">
        <section class="card map-card">${mapSvg(snapshot)}
          <p class="legend"><span class="light"></span> primary and streaming standby
            <span class="site-degraded"><span class="light"></span></span> failed over or standby not streaming
            <span class="site-down"><span class="light"></span></span> no primary or service down</p>
        </section>
        <div class="sites">${sites}</div>
      </div>
      <div class="row three">${databasesCard(snapshot)}${servicesCard(snapshot)}${twoPhaseCard(snapshot)}</div>
      <div class="row two">${ordersCard(snapshot)}${requestsCard(snapshot)}</div>
      ${extrasCard(snapshot)}
    </main>`;
}

let last: Snapshot | null = null;
let timer: number | undefined;

async function poll(): Promise<void> {
  window.clearTimeout(timer);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showLogin('The console shows the whole cluster: it needs an administrator token.');
    return;
  }
  try {
    const response = await fetch(SNAPSHOT_URL, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(body?.error?.message ?? 'That token was refused.');
      return;
    }
    if (!response.ok) throw new Error(`the gateway answered ${response.status}`);
    last = (await response.json()) as Snapshot;
    render(last, null);
  } catch (error) {
    if (last) render(last, `gateway unreachable (${(error as Error).message}): retrying`);
    else app.innerHTML = `<p class="boot">The gateway cannot be reached: retrying…</p>`;
  }
  timer = window.setTimeout(() => void poll(), POLL_MS);
}

takeTokenFromAddress();
void poll();
