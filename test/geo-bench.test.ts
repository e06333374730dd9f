import { describe, expect, it } from 'vitest';
import { formatGeoMarkdown, formatGeoText, geoCustomers, geoFigures, geoVerdict, roundTripDelta, splitRoundTrips, standbyFigures, wanMillis, type GeoMeasure, type GeoRow } from '../bench/geo.ts';
import type { RecordedRun } from '../bench/figures.ts';
import { TABLES } from '../bench/report-figures.ts';
import { buildTopology, customerAccess, endpointFrom, wanLinkFrom } from '../lib/topology.ts';
import type { LinkReport } from '../lib/wan/proxy.ts';

const link = (id: string, kind: LinkReport['kind'], roundTrips: number): LinkReport => ({
  id, kind, roundTrips, from: 'thies', to: 'dakar', target: id, rttMs: 3, port: 1, connections: 1, bytesUp: 1, bytesDown: 1,
});

const measure = (p50: number, wanMs = 0): GeoMeasure => ({ p50, p99: p50 * 2, roundTrips: 0, accessRoundTrips: 0, wanMs, requests: 10, errors: 0 });

const row = (over: Partial<GeoRow>): GeoRow => ({
  city: 'Thiès', site: 'thies', rttToDakarMs: 3, rttToSiteMs: 0, farthestWarehouseRttMs: 4, operation: 'catalog',
  distributed: measure(10), centralized: measure(14), ...over,
});

describe('geography benchmark: counter deltas', () => {
  it('counts the round trips each link made between two readings, request-path kinds only', () => {
    const before = [link('thies->products', 'sql', 5), link('thies->baseline', 'http', 2), link('dakar->thies-standby/replication', 'replication', 40)];
    const after = [link('thies->products', 'sql', 7), link('thies->baseline', 'http', 2), link('dakar->thies-standby/replication', 'replication', 90)];
    expect([...roundTripDelta(before, after)]).toEqual([['thies->products', 2]]);
    expect([...roundTripDelta(before, after, ['replication'])]).toEqual([['dakar->thies-standby/replication', 50]]);
  });

  it('counts from zero on a link reset between the readings or absent before', () => {
    const delta = roundTripDelta([link('a', 'http', 9)], [link('a', 'http', 1), link('b', 'http', 3)]);
    expect(Object.fromEntries(delta)).toEqual({ a: 1, b: 3 });
  });

  it('tells the customer’s access link apart', () => {
    const delta = new Map([['ziguinchor->gateway-thies', 1], ['thies->products', 2]]);
    expect(splitRoundTrips(delta, 'ziguinchor->gateway-thies')).toEqual({ total: 3, access: 1 });
    expect(splitRoundTrips(delta, null)).toEqual({ total: 3, access: 0 });
  });

  it('prices each link’s round trips at its RTT', () => {
    const delta = new Map([['thies->products', 2], ['thies->region-saint-louis', 1]]);
    expect(wanMillis(delta, [{ id: 'thies->products', rttMs: 2.8 }, { id: 'thies->region-saint-louis', rttMs: 4.2 }, { id: 'idle', rttMs: 9 }])).toBe(9.8);
  });
});

describe('geography benchmark: targets', () => {
  it('outside Dakar, a read must gain at least one RTT to Dakar', () => {
    expect(geoVerdict(row({ distributed: measure(10), centralized: measure(13.5) }))).toMatchObject({ kind: 'gain', limitMs: 3, met: true });
    expect(geoVerdict(row({ distributed: measure(10), centralized: measure(12) }))).toMatchObject({ kind: 'gain', limitMs: 3, met: false });
  });

  it('a city without a site must gain what its own link saves on the link to Dakar', () => {
    const v = geoVerdict(row({ city: 'Ziguinchor', rttToDakarMs: 6, rttToSiteMs: 5.9, distributed: measure(10), centralized: measure(10.05) }));
    expect(v.kind).toBe('gain');
    expect(v.limitMs).toBeCloseTo(0.1, 5);
    expect(v.met).toBe(false);
  });

  it('judges the same target on the WAN time alone', () => {
    // slower on the clock, but its request path crosses less than centralized's
    const v = geoVerdict(row({ distributed: measure(20, 0), centralized: measure(14, 3) }));
    expect(v).toMatchObject({ met: false, floorMet: true });
    expect(geoVerdict(row({ distributed: measure(10, 2.8), centralized: measure(14, 2.8) }))).toMatchObject({ met: true, floorMet: false });
    expect(geoVerdict(row({ operation: 'three-site order', distributed: measure(30, 7), centralized: measure(14, 3) }))).toMatchObject({ floorMet: true });
    expect(geoVerdict(row({ operation: 'three-site order', distributed: measure(30, 7.1), centralized: measure(14, 3) }))).toMatchObject({ floorMet: false });
  });

  it('a three-site order may cost at most one RTT to the farthest warehouse more', () => {
    expect(geoVerdict(row({ operation: 'three-site order', distributed: measure(18), centralized: measure(14) }))).toMatchObject({ kind: 'bound', limitMs: 4, met: true });
    expect(geoVerdict(row({ operation: 'three-site order', distributed: measure(18.5), centralized: measure(14) }))).toMatchObject({ met: false });
  });

  it('a Dakar customer’s read has no target, and the table says what it loses', () => {
    const dakar = row({ city: 'Dakar', site: 'dakar', rttToDakarMs: 0, distributed: measure(12), centralized: measure(10) });
    expect(geoVerdict(dakar)).toMatchObject({ kind: 'none', met: null, gainMs: -2 });
    const text = formatGeoText([dakar, row({})]);
    expect(text[1]).toContain('loses 2.0 ms');
    expect(text[2]).toContain('met');
    expect(text.at(-1)).toBe('targets met: 1 of 1 on p50; 0 of 1 on WAN time (round trips × RTT)');
    const md = formatGeoMarkdown([dakar]);
    expect(md).toHaveLength(3);
    expect(md[2]!.split('|')).toHaveLength(11);
  });

  it('uses two distinct seed clients of each city', () => {
    for (const city of ['Dakar', 'Thiès', 'Saint-Louis', 'Ziguinchor']) {
      const { reader, orderer } = geoCustomers(city);
      expect(reader).not.toBe(orderer);
    }
  });
});

describe('geography benchmark: the links of the centralized alternative, from the topology', () => {
  const wan = buildTopology({ servicePort: 4000, pgPort: 15400, wan: { rttOverride: 'dakar:thies=8,dakar:saint-louis=14,thies:saint-louis=12' } });

  it('sends a customer outside Dakar to the baseline through their city’s link, with that city’s RTT', () => {
    expect(customerAccess(wan, 'Dakar')).toMatchObject({ site: 'dakar', gateway: { rttMs: 0, link: null }, baseline: { rttMs: 0, link: null } });
    const thies = customerAccess(wan, 'Thiès');
    expect(thies).toMatchObject({ site: 'thies', gateway: { rttMs: 0, link: null }, baseline: { rttMs: 8, link: 'thies->baseline' } });
    const viaLink = wan.wan!.outside.find((l) => l.id === 'thies->baseline')!;
    expect(thies.baseline.url).toBe(`http://127.0.0.1:${viaLink.port}/graphql`);
    expect(viaLink).toMatchObject({ targetPort: wan.baseline.servicePort, kind: 'http' });
    expect(customerAccess(wan, 'Saint-Louis').baseline).toMatchObject({ rttMs: 14, link: 'saint-louis->baseline' });
  });

  it('places a customer of a city without a site at its nearest site, over the model’s RTT', () => {
    const z = customerAccess(wan, 'Ziguinchor');
    expect(z.site).toBe('thies');
    expect(z.gateway.link).toBe('ziguinchor->gateway-thies');
    expect(z.gateway.rttMs).toBeGreaterThan(4);
    expect(z.baseline.link).toBe('ziguinchor->baseline');
  });

  it('routes the baseline’s standby placed in another city through a replication link', () => {
    const standby = { ...wan.baseline.standby, location: 'saint-louis' as const };
    expect(wanLinkFrom(wan, 'saint-louis', wan.baseline.pg, 'replication')).toMatchObject({ id: 'saint-louis->baseline/replication', rttMs: 14 });
    expect(endpointFrom(wan, standby.location, wan.baseline.pg, 'replication').port).not.toBe(wan.baseline.pg.port);
    expect(endpointFrom(wan, 'dakar', wan.baseline.pg, 'replication').port).toBe(wan.baseline.pg.port);
  });

  it('keeps every port distinct and the cluster’s own links where they were', () => {
    const ports = [...wan.wan!.links, ...wan.wan!.outside].map((l) => l.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.min(...wan.wan!.outside.map((l) => l.port))).toBe(Math.max(...wan.wan!.links.map((l) => l.port)) + 1);
    expect(customerAccess(buildTopology({ servicePort: 4000, pgPort: 15400 }), 'Thiès').baseline).toMatchObject({ rttMs: 0, link: null });
  });
});

describe('geography benchmark: the figures it records, and the table the docs show', () => {
  const rows: GeoRow[] = [
    row({ city: 'Dakar', site: 'dakar', rttToDakarMs: 0, operation: 'catalog', distributed: measure(12, 7.5), centralized: measure(10) }),
    row({ city: 'Thiès', operation: 'catalog', distributed: { ...measure(10, 2.8), roundTrips: 1 }, centralized: { ...measure(14, 3), roundTrips: 1, accessRoundTrips: 1 } }),
    row({ city: 'Thiès', operation: 'three-site order', distributed: measure(20, 9), centralized: measure(14, 3) }),
  ];
  const run = (): RecordedRun => ({
    run: { id: 'abc@2026-12-02T16:00:00.000Z', commit: 'abc', dirty: false, date: '2026-12-02T16:00:00.000Z', command: 'npm run bench', quick: true, sections: ['geo'], machine: 'm', loadStart: [1, 1, 1], loadEnd: [1, 1, 1], seconds: 60 },
    figures: Object.fromEntries(geoFigures(rows).map((f) => [f.key, { value: f.value, unit: f.unit, digits: f.digits ?? 1 }])),
  });

  it('keys each figure by city and operation, with the verdicts the table prints', () => {
    const figures = Object.fromEntries(geoFigures(rows).map((f) => [f.key, f.value]));
    expect(figures['geo.thies.catalog.p50']).toBe(10);
    expect(figures['geo.thies.catalog.central.p50']).toBe(14);
    expect(figures['geo.thies.catalog.gain_ms']).toBe(4);
    expect(figures['geo.thies.catalog.met']).toBe(true);
    expect(figures['geo.thies.three-site-order.met']).toBe(false);
    // a Dakar read has no target: no verdict to quote
    expect(figures['geo.dakar.catalog.met']).toBeUndefined();
    expect(figures['geo.targets.met']).toBe(1);
    expect(figures['geo.targets.judged']).toBe(2);
  });

  it('renders the French table from the recorded figures alone, one row per city and operation', () => {
    const lines = TABLES.geo!(run());
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[2]).toContain('| Dakar (dakar) | catalogue | 12,0 / 24,0 |');
    expect(lines[2]).toContain('pas de cible ; perd 2,0 ms');
    expect(lines[3]).toContain('| Thiès (thies) | catalogue | 10,0 / 20,0 | 1 = 2,8 ms | 14,0 / 28,0 | 1 (1 accès) = 3,0 ms | 0,71× | 4,0 | gain ≥ 3,0 ms : atteinte');
    expect(lines[4]).toContain('≤ centralisé + 4,0 ms : manquée');
  });

  it('records the standby placements by city, with the extra cost over the same city', () => {
    const figures = Object.fromEntries(
      standbyFigures([
        { standbyLocation: 'dakar', rttMs: 0, p50: 1.5, p99: 3, commits: 100 },
        { standbyLocation: 'thies', rttMs: 2.8, p50: 4.5, p99: 9, commits: 100 },
      ]).map((f) => [f.key, f.value]),
    );
    expect(figures['standby-placement.dakar.commit.p50']).toBe(1.5);
    expect(figures['standby-placement.thies.commit.p50']).toBe(4.5);
    expect(figures['standby-placement.thies.extra_ms']).toBe(3);
    expect(figures['standby-placement.thies.rtt']).toBe(2.8);
  });
});
