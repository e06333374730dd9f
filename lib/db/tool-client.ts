/**
 * One-off connections of the tools (launcher, monitor, status, `teranga sql`, bench, simulator).
 * A server may end a connection while the client sits between two statements: its postmaster
 * exiting, a failover fencing it, pg_terminate_backend. node-postgres then emits 'error' on the
 * client (or on the pool holding it idle), and an 'error' event nobody listens to ends the process.
 * The error is not lost by listening: the client is left unqueryable, so the next statement (or the
 * pending one) is rejected and the caller decides, as it does for any failed statement.
 */
import pg from 'pg';

export function toolClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on('error', () => {});
  return client;
}

export function toolPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  return pool;
}
