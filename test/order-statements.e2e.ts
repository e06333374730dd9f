/**
 * The SQL a one-site order runs at the client's site, counted by pg_stat_statements on both of the
 * site's servers (reads that may lag go to the standby): the statements on the data tables, as
 * the batching benchmark counts them (bench/statements.ts). Deterministic: the same order always
 * runs the same statements; the payment relay's capture, which follows on its own timer, is
 * waited for and left out.
 */
import { describe, expect, it } from 'vitest';
import { countStatements, listStatements, resetStatements } from '../bench/statements.ts';
import { graphql, sql, topology } from './support/cluster.ts';
import { asAdmin, asCustomer } from './support/tokens.ts';
import { until } from './support/until.ts';

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';

describe('a one-site order at the client’s site', () => {
  it('runs at most 6 SQL statements on the data tables there', async () => {
    const restocked = await graphql('mutation { restock(productId: "154", site: DAKAR, quantity: 50) { quantity } }', {}, { headers: await asAdmin() });
    expect(restocked.errors, JSON.stringify(restocked.errors)).toBeUndefined();
    const place = async () => {
      const placed = await graphql<{ placeOrder: { order: { id: string } | null } }>(
        PLACE,
        { i: { clientId: '1', items: [{ productId: '154', quantity: 1 }] } },
        { headers: await asCustomer(1) },
      );
      const order = placed.data?.placeOrder.order;
      expect(order, JSON.stringify(placed)).toBeTruthy();
      return order!.id;
    };
    // the test's own probe, polled until the relay has captured: as many calls as the relay takes, left out
    const PROBE = 'SELECT statut FROM paiement WHERE commande_id = $1';
    const relayed = async (id: string) => {
      await until('the payment relay to capture', async () => (await sql<{ statut: string }>('dakar', PROBE, [id]))[0]?.statut === 'CAPTURE');
    };
    // a first order warms up caches (client directory, prices) that are not per-order work
    await relayed(await place());
    await resetStatements(topology);
    const id = await place();
    await relayed(id);
    const scope = { database: 'dakar', excluding: [PROBE] } as const;
    const statements = await countStatements(topology, scope);
    const counted = await listStatements(topology, scope);
    // served by the client's site alone
    expect((await sql<{ site: string }>('dakar', 'SELECT DISTINCT site FROM ligne_commande WHERE commande_id = $1', [id])).map((r) => r.site)).toEqual(['dakar']);
    console.log(`statements at the client's site for a one-site order: ${statements}`);
    expect(statements, JSON.stringify(counted, null, 1)).toBeLessThanOrEqual(6);
  });
});
