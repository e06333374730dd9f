/** The WAN mode a cluster remembers (cluster/wan-mode.ts): a later plain `teranga up` keeps it; an explicit TERANGA_WAN decides. */
import { describe, expect, it } from 'vitest';
import { rememberedWanEnv, wanModeFromEnv } from '../cluster/wan-mode.ts';

describe('the remembered WAN mode', () => {
  it('is what `up --wan` was given, and null for an explicit TERANGA_WAN=0', () => {
    expect(wanModeFromEnv({ TERANGA_WAN: '1', TERANGA_WAN_RTT_MS: '10', TERANGA_WAN_PORT: '31800' })).toEqual({ rttOverride: '10', port: '31800' });
    expect(wanModeFromEnv({ TERANGA_WAN: '1' })).toEqual({});
    expect(wanModeFromEnv({ TERANGA_WAN: '0' })).toBeNull();
    expect(wanModeFromEnv({})).toBeUndefined();
  });

  it('comes back for an environment that says nothing of the WAN', () => {
    expect(rememberedWanEnv({}, { wan: { rttOverride: '10', port: '31800' } })).toEqual({ TERANGA_WAN: '1', TERANGA_WAN_RTT_MS: '10', TERANGA_WAN_PORT: '31800' });
    expect(rememberedWanEnv({}, { wan: {} })).toEqual({ TERANGA_WAN: '1' });
  });

  it('gives way to the environment: an explicit TERANGA_WAN, or a setting given again', () => {
    expect(rememberedWanEnv({ TERANGA_WAN: '0' }, { wan: { rttOverride: '10' } })).toEqual({});
    expect(rememberedWanEnv({ TERANGA_WAN: '1' }, { wan: { rttOverride: '10' } })).toEqual({});
    expect(rememberedWanEnv({ TERANGA_WAN_RTT_MS: '4' }, { wan: { rttOverride: '10' } })).toEqual({ TERANGA_WAN: '1' });
  });

  it('adds nothing for a cluster without the WAN, or without a state', () => {
    expect(rememberedWanEnv({}, {})).toEqual({});
    expect(rememberedWanEnv({}, null)).toEqual({});
  });
});
