import { describe, expect, it } from 'vitest';
import { buildTopology, endpointFrom, primaryOf, serverAddressFrom, serverByName, serviceByName, topologySeenFrom } from '../lib/topology.ts';
import { cityNamed, greatCircleKm, modelRttMs, parseRttOverride, siteRttMatrix, WanRttError } from '../lib/wan/model.ts';

describe('WAN RTT model', () => {
  it('derives distances from the cities’ coordinates', () => {
    expect(greatCircleKm(cityNamed('Dakar'), cityNamed('Thiès'))).toBeGreaterThan(50);
    expect(greatCircleKm(cityNamed('Dakar'), cityNamed('Thiès'))).toBeLessThan(62);
    expect(greatCircleKm(cityNamed('Dakar'), cityNamed('Saint-Louis'))).toBeGreaterThan(170);
    expect(greatCircleKm(cityNamed('Dakar'), cityNamed('Saint-Louis'))).toBeLessThan(195);
  });

  it('grows with distance, is symmetric, and is zero within a city', () => {
    const dakar = cityNamed('Dakar');
    expect(modelRttMs(dakar, dakar)).toBe(0);
    expect(modelRttMs(dakar, cityNamed('Thiès'))).toBe(modelRttMs(cityNamed('Thiès'), dakar));
    expect(modelRttMs(dakar, cityNamed('Thiès'))).toBeLessThan(modelRttMs(dakar, cityNamed('Saint-Louis')));
    expect(modelRttMs(dakar, cityNamed('Saint-Louis'))).toBeLessThan(modelRttMs(dakar, cityNamed('Ziguinchor')));
    // 2 × 56 km × 1.5 / 200 km/ms + 2 ms
    expect(modelRttMs(dakar, cityNamed('Thiès'))).toBeCloseTo(2.8, 0);
  });

  it('takes one number for every pair, or per pair in either order', () => {
    expect(siteRttMatrix(parseRttOverride('10'))).toMatchObject({ 'dakar:thies': 10, 'dakar:saint-louis': 10, 'thies:saint-louis': 10, 'dakar:dakar': 0 });
    const m = siteRttMatrix(parseRttOverride('dakar:thies=8, saint-louis:dakar=14'));
    expect(m['dakar:thies']).toBe(8);
    expect(m['dakar:saint-louis']).toBe(14);
    expect(m['thies:saint-louis']).toBe(siteRttMatrix()['thies:saint-louis']);
    expect(Object.isFrozen(m)).toBe(true);
  });

  it.each(['abc', '-1', 'dakar:paris=3', 'dakar:dakar=3', 'dakar:thies=8,thies:dakar=9', 'dakar=3', 'dakar:thies=', '99999'])('refuses "%s" with BAD_WAN_RTT', (raw) => {
    expect(() => parseRttOverride(raw)).toThrow(WanRttError);
  });
});

describe('WAN plan in the topology', () => {
  const wan = buildTopology({ servicePort: 4000, pgPort: 15400, wan: { rttOverride: 'dakar:thies=8,dakar:saint-louis=14,thies:saint-louis=12' } });

  it('is absent, and changes nothing, without --wan', () => {
    const plain = buildTopology({ servicePort: 4000, pgPort: 15400 });
    expect(plain.wan).toBeNull();
    expect(plain.services.map((s) => s.name)).not.toContain('wan');
    expect(topologySeenFrom(plain, 'thies')).toBe(plain);
    const gateway = serviceByName(plain, 'gateway');
    expect(endpointFrom(plain, 'thies', gateway)).toEqual({ host: gateway.host, port: gateway.port });
  });

  it('places every server and service in a city', () => {
    expect(serverByName(wan, 'products').location).toBe('dakar');
    expect(serverByName(wan, 'coordinator').location).toBe('dakar');
    expect(serverByName(wan, 'thies-standby').location).toBe('thies');
    expect(serviceByName(wan, 'region-saint-louis').location).toBe('saint-louis');
    expect(serviceByName(wan, 'payments').location).toBe('dakar');
  });

  it('routes a cross-city connection through its link and a same-city one directly', () => {
    const thies = serverByName(wan, 'thies');
    expect(endpointFrom(wan, 'thies', thies)).toEqual({ host: thies.host, port: thies.port });
    const viaLink = endpointFrom(wan, 'dakar', thies);
    expect(viaLink.port).not.toBe(thies.port);
    const link = wan.wan!.links.find((l) => l.port === viaLink.port)!;
    expect(link).toMatchObject({ from: 'dakar', to: 'thies', kind: 'sql', target: 'thies', rttMs: 8 });
    const seen = topologySeenFrom(wan, 'saint-louis');
    expect(serviceByName(seen, 'region-saint-louis').url).toBe(serviceByName(wan, 'region-saint-louis').url);
    expect(serviceByName(seen, 'gateway').url).not.toBe(serviceByName(wan, 'gateway').url);
    expect(wan.wan!.links.find((l) => l.port === serviceByName(seen, 'gateway').port)).toMatchObject({ kind: 'http', rttMs: 14 });
  });

  it('gives every link its own port, and a replication link to a standby in another city', () => {
    const ports = wan.wan!.links.map((l) => l.port);
    expect(new Set(ports).size).toBe(ports.length);
    // with every standby beside its primary, the only replication crossing the WAN is logical: the subscriptions
    const subscriptions = wan.wan!.links.filter((l) => l.kind === 'replication' && l.from === 'thies').map((l) => l.id).sort();
    expect(subscriptions).toEqual([
      'thies->coordinator-standby/replication', 'thies->coordinator/replication',
      'thies->dakar-standby/replication', 'thies->dakar/replication',
      'thies->products-standby/replication', 'thies->products/replication',
      'thies->saint-louis-standby/replication', 'thies->saint-louis/replication',
    ]);
    const apart = buildTopology({ wan: {}, standbyLocations: { thies: 'dakar' } });
    const replication = apart.wan!.links.filter((l) => l.kind === 'replication' && l.target.startsWith('thies'));
    // the standby's stream both ways, and the other sites' subscriptions to Thiès's stock
    expect(replication.map((l) => l.id).sort()).toEqual([
      'dakar->thies/replication', 'saint-louis->thies-standby/replication', 'saint-louis->thies/replication', 'thies->thies-standby/replication',
    ]);
  });

  it('routes a subscription through its replication link, and directly without the WAN', () => {
    const products = primaryOf(wan, 'products');
    const link = wan.wan!.links.find((l) => l.id === 'thies->products/replication')!;
    expect(serverAddressFrom(wan, products, 'thies')).toEqual({ host: link.host, port: link.port });
    expect(serverAddressFrom(wan, products, 'dakar')).toEqual({ host: products.host, port: products.port });
    const direct = buildTopology();
    expect(serverAddressFrom(direct, primaryOf(direct, 'products'), 'thies')).toEqual({ host: '127.0.0.1', port: primaryOf(direct, 'products').port });
  });
});
