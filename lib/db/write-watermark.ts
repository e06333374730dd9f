/**
 * The WAL position that every write this process has acknowledged lies at or before: what a
 * standby must have replayed before it may answer this process's reads (read-your-writes).
 *
 * A write costs nothing: `wrote()` only counts it. The first read after writes samples the
 * primary's flushed WAL position — taken after those writes committed, so at or past each of
 * them — and reads arriving meanwhile share that sample. A process that writes much and reads
 * little from standbys (the order path) pays nothing for it.
 */
import type { Lsn } from './lsn.ts';

export class WriteWatermark {
  readonly #sample: () => Promise<Lsn>;
  #position: Lsn = 0n;
  /** Writes reported so far, and how many of them the position covers. */
  #requested = 0;
  #covered = 0;
  #sampling: Promise<void> | null = null;

  /** @param sample reads the primary's flushed WAL position (`pg_current_wal_flush_lsn()`). */
  constructor(sample: () => Promise<Lsn>) {
    this.#sample = sample;
  }

  /** A write has committed (and is about to be acknowledged). */
  wrote(): void {
    this.#requested++;
  }

  /**
   * The position at or after every write reported before this call; null when it cannot be
   * known now (the primary does not answer), in which case only the primary is safe to read.
   */
  async position(): Promise<Lsn | null> {
    const upTo = this.#requested;
    // at most two rounds: a sample already in flight may have started before these writes
    while (this.#covered < upTo) {
      try {
        await this.#sampleOnce();
      } catch {
        return null;
      }
    }
    return this.#position;
  }

  #sampleOnce(): Promise<void> {
    this.#sampling ??= (async () => {
      // every write counted by now committed before the sample below is taken
      const upTo = this.#requested;
      try {
        const lsn = await this.#sample();
        if (lsn > this.#position) this.#position = lsn;
        if (upTo > this.#covered) this.#covered = upTo;
      } finally {
        this.#sampling = null;
      }
    })();
    return this.#sampling;
  }
}
