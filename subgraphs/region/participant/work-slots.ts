/**
 * How many global-transaction shares a site runs at once. A share waiting for a stock row lock
 * holds a database connection the whole time; if every connection of the pool waited so, the
 * COMMIT PREPARED that would release the lock they wait for could get none, and every wait would
 * end only at the lock timeout. Keeping the shares below the pool's size leaves connections for
 * phase 2 (and for reads). A share that gets no slot within the lock timeout votes CONFLICT, as
 * one that got no lock.
 */
export class WorkSlots {
  #free: number;
  readonly #queue: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkSlots: size must be a positive integer, got ${size}`);
    this.#free = size;
  }

  /** Resolves with a release function, or with null if no slot freed up within `timeoutMs`. */
  acquire(timeoutMs: number): Promise<(() => void) | null> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#release());
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(this.#release());
      };
      const timer = setTimeout(() => {
        const at = this.#queue.indexOf(grant);
        if (at !== -1) this.#queue.splice(at, 1);
        resolve(null);
      }, timeoutMs);
      this.#queue.push(grant);
    });
  }

  #release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // hand the slot straight to the longest waiter, or give it back
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
