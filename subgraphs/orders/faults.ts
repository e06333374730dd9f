/**
 * Crash points for recovery tests, enabled only by TERANGA_FAULT (never set in production):
 * `after-prepare:K` (after K participants voted yes), `after-decision`, `between-commits`.
 * The process dies at once, as a crash would, leaving its transactions to recovery.
 */
export type FaultPoint = 'after-prepare' | 'after-decision' | 'between-commits';

export interface Faults {
  reached(point: FaultPoint, count?: number): void;
}

export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  const spec = env.TERANGA_FAULT;
  if (!spec) return { reached: () => {} };
  const [point, countText] = spec.split(':');
  const count = countText === undefined ? undefined : Number(countText);
  if (!['after-prepare', 'after-decision', 'between-commits'].includes(point!)) throw new Error(`TERANGA_FAULT: unknown point "${spec}"`);
  return {
    reached(at, n) {
      if (at === point && (count === undefined || n === count)) {
        console.error(`[fault] crashing at ${spec}`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
}
