/**
 * Runs the passes of a background job (recovery, the payment relay) one at a time.
 *
 * `runNow` answers with a pass that started after the call: a caller who has just changed what
 * the job reads — an operator's "recover now", recovery asking a site's relay to run — must not be
 * handed a pass that read its data before the change. Callers arriving during a pass share the one
 * that follows it. `tick`, the timer's, joins whatever pass is running: it only wants one to run.
 */
export interface PassRunner<R> {
  runNow(): Promise<R>;
  tick(): Promise<R>;
}

export function passRunner<R>(pass: () => Promise<R>): PassRunner<R> {
  let running: Promise<R> | null = null;
  let queued: Promise<R> | null = null;
  const start = (): Promise<R> => {
    const current = pass().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  };
  const tick = () => running ?? start();
  const runNow = (): Promise<R> => {
    if (!running) return start();
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = null;
        // a pass the timer started once the awaited one ended also started after this call
        return tick();
      });
    return queued;
  };
  return { runNow, tick };
}
