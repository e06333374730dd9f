/**
 * One pass at a time of a background job (pure code): an explicit "run now" answers with a pass
 * that started after it was asked for, never with one that read its data before; the timer's
 * tick joins a pass already running.
 */
import { describe, expect, it } from 'vitest';
import { passRunner } from '../lib/service/pass-runner.ts';

/** A job whose passes the test ends by hand; each pass answers with its own number. */
function manualJob() {
  const started: number[] = [];
  const finish: (() => void)[] = [];
  let running = 0;
  let overlapped = false;
  const pass = () =>
    new Promise<number>((resolve) => {
      const n = started.length + 1;
      started.push(n);
      running++;
      if (running > 1) overlapped = true;
      finish.push(() => {
        running--;
        resolve(n);
      });
    });
  return { pass, started, finishNext: () => finish.shift()!(), overlapped: () => overlapped };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('pass runner', () => {
  it('answers a run-now asked during a pass with the next pass, shared by every caller who asked meanwhile', async () => {
    const job = manualJob();
    const runner = passRunner(job.pass);
    const first = runner.runNow();
    const second = runner.runNow();
    const third = runner.runNow();
    await settle();
    expect(job.started).toEqual([1]);
    job.finishNext();
    expect(await first).toBe(1);
    await settle();
    expect(job.started).toEqual([1, 2]);
    job.finishNext();
    expect(await second).toBe(2);
    expect(await third).toBe(2);
    expect(job.overlapped()).toBe(false);
  });

  it('lets the timer join a pass already running instead of queueing one', async () => {
    const job = manualJob();
    const runner = passRunner(job.pass);
    const asked = runner.runNow();
    const ticked = runner.tick();
    job.finishNext();
    expect(await asked).toBe(1);
    expect(await ticked).toBe(1);
    await settle();
    expect(job.started).toEqual([1]);
  });

  it('lets the timer join the pass queued for a run-now, and never runs two passes at once', async () => {
    const job = manualJob();
    const runner = passRunner(job.pass);
    void runner.tick();
    const asked = runner.runNow();
    job.finishNext();
    await settle();
    const ticked = runner.tick();
    expect(job.started).toEqual([1, 2]);
    job.finishNext();
    expect(await asked).toBe(2);
    expect(await ticked).toBe(2);
    expect(job.overlapped()).toBe(false);
  });

  it('runs the next pass after one that failed, and gives the failure to that pass’s callers only', async () => {
    let calls = 0;
    const runner = passRunner(async () => {
      calls++;
      if (calls === 1) throw new Error('database unreachable');
      return calls;
    });
    const failed = runner.runNow();
    const next = runner.runNow();
    await expect(failed).rejects.toThrow('database unreachable');
    expect(await next).toBe(2);
  });
});
