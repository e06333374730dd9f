import { describe, expect, it } from 'vitest';
import { benchPhases, envForMode } from '../bench/wan-switch.ts';

const WAN = ['geo', 'standby-placement'];

describe('one bench run over both cluster modes', () => {
  it('measures first in the mode the cluster is in, then in the other', () => {
    expect(benchPhases(['read', 'geo', 'write', 'standby-placement'], WAN, false)).toEqual([
      { wan: false, sections: ['read', 'write'] },
      { wan: true, sections: ['geo', 'standby-placement'] },
    ]);
    expect(benchPhases(['read', 'geo'], WAN, true)).toEqual([
      { wan: true, sections: ['geo'] },
      { wan: false, sections: ['read'] },
    ]);
  });

  it('restarts nothing when every section asked for runs in the mode the cluster is in', () => {
    expect(benchPhases(['geo'], WAN, true)).toEqual([{ wan: true, sections: ['geo'] }]);
    expect(benchPhases(['read', 'sim2pc'], WAN, false)).toEqual([{ wan: false, sections: ['read', 'sim2pc'] }]);
  });

  it('gives each mode its environment: the remembered WAN settings unless the shell sets them, none without the WAN', () => {
    const shell = { TERANGA_PORT: '30000', TERANGA_WAN: '1', TERANGA_WAN_RTT_MS: 'dakar:thies=9' };
    expect(envForMode(shell, null)).toEqual({ TERANGA_PORT: '30000' });
    expect(envForMode(shell, { rttOverride: 'dakar:thies=5', port: '31800' })).toEqual({ TERANGA_PORT: '30000', TERANGA_WAN: '1', TERANGA_WAN_RTT_MS: 'dakar:thies=9', TERANGA_WAN_PORT: '31800' });
    expect(envForMode({}, {})).toEqual({ TERANGA_WAN: '1' });
  });
});
