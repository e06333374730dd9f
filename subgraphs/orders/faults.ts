/**
 * Crash points for recovery tests, enabled only by TERANGA_FAULT (never set in production):
 * `after-prepare:K` (after K participants voted yes), `after-decision`, `between-commits`.
 * The process dies at once, as a crash would, leaving its transactions to recovery.
 * With TERANGA_FAULT_INJECTION=1 (test clusters only), a crash point can also be armed on the
 * running coordinator (`POST /internal/fault`), so a recovery test needs no restart to set it.
 */
export type FaultPoint = 'after-prepare' | 'after-decision' | 'between-commits';

export interface Faults {
  reached(point: FaultPoint, count?: number): void;
  /** Arms a crash point on the running process; absent unless fault injection is enabled. */
  arm?(spec: string): void;
}

interface Armed {
  readonly spec: string;
  readonly point: FaultPoint;
  readonly count: number | undefined;
}

/** @throws Error naming the setting on an unknown point */
export function parseFault(spec: string, setting = 'TERANGA_FAULT'): Armed {
  const [point, countText] = spec.split(':');
  const count = countText === undefined ? undefined : Number(countText);
  if (!['after-prepare', 'after-decision', 'between-commits'].includes(point!) || (count !== undefined && !Number.isInteger(count))) {
    throw new Error(`${setting}: unknown point "${spec}"`);
  }
  return { spec, point: point as FaultPoint, count };
}

export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  let armed: Armed | null = env.TERANGA_FAULT ? parseFault(env.TERANGA_FAULT) : null;
  const faults: Faults = {
    reached(at, n) {
      if (armed && at === armed.point && (armed.count === undefined || n === armed.count)) {
        console.error(`[fault] crashing at ${armed.spec}`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
  if (env.TERANGA_FAULT_INJECTION === '1') faults.arm = (spec) => (armed = parseFault(spec, 'fault'));
  return faults;
}
