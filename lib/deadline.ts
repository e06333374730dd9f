/**
 * One deadline per request, travelling from the gateway down: the gateway sends the moment its
 * fetch gives up (`x-teranga-deadline`, epoch ms); the orders coordinator fits its attempts,
 * the payment authorization and every participant call inside it, and hands each participant
 * its remaining budget, past which that site commits nothing.
 */
export const DEADLINE_HEADER = 'x-teranga-deadline';

/** The absolute deadline a request carries, or null (absent or malformed). */
export function deadlineFrom(header: string | string[] | undefined, now = Date.now()): number | null {
  if (typeof header !== 'string' || !/^\d{13}$/.test(header)) return null;
  const at = Number(header);
  // a deadline more than an hour away is not one a gateway sets
  return at > now - 60_000 && at < now + 3_600_000 ? at : null;
}

export class Deadline {
  constructor(readonly at: number) {}

  static after(ms: number, now = Date.now()): Deadline {
    return new Deadline(now + ms);
  }

  remainingMs(now = Date.now()): number {
    return Math.max(0, this.at - now);
  }

  passed(now = Date.now()): boolean {
    return now >= this.at;
  }
}
