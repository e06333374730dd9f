/**
 * The tools' own connections (launcher, monitor, status): a server that ends a connection between
 * two statements (a postmaster exiting, an administrator's pg_terminate_backend) must fail the call
 * that uses it, never the process. `teranga monitor` once died that way while a primary it watched
 * was being killed, instead of counting a missed probe.
 */
import { describe, expect, it } from 'vitest';
import { withClient } from '../cluster/cluster.ts';
import { serverNamed, sql, topology } from './support/cluster.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ends the backend of `pid` from another connection and waits until the server has let it go. */
async function terminate(pid: number): Promise<void> {
  await sql('dakar', 'SELECT pg_terminate_backend($1)', [pid]);
  for (let i = 0; i < 100; i++) {
    const [row] = await sql<{ n: number }>('dakar', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (row!.n === 0) return;
    await pause(50);
  }
  throw new Error(`backend ${pid} still there`);
}

describe("the tools' connections", () => {
  it('a connection the server ends between two statements rejects the next one, and the process lives on', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const outcome = withClient(topology, serverNamed('dakar'), async (c) => {
        const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
        await terminate(rows[0]!.pid);
        // the server's farewell has reached the idle client (its connection ended) before the next statement is sent
        await ended;
        return c.query('SELECT 1');
      });
      await expect(outcome).rejects.toThrow();
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });

});
