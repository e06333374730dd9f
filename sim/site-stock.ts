/**
 * The simulator's SQL on the sites' stock and ledger: snapshots, inventory adjustments that keep
 * the ledger balanced, the ledger lines written since a mark, and the deliberately unsafe
 * read-then-write of the `none` mode.
 */
import type pg from 'pg';

export interface StockRow {
  readonly productId: number;
  readonly quantity: number;
  readonly version: number;
}

export interface LedgerLine {
  readonly id: number;
  readonly productId: number;
  readonly delta: number;
  readonly motif: string;
  readonly orderId: string | null;
  readonly before: number | null;
  readonly after: number | null;
  readonly version: number | null;
}

export async function readStock(db: pg.Pool, productIds: readonly number[]): Promise<StockRow[]> {
  const { rows } = await db.query<{ produit_id: number; quantite: number; version: string | number }>(
    'SELECT produit_id, quantite, version FROM stock WHERE produit_id = ANY($1::int[]) ORDER BY produit_id',
    [productIds],
  );
  return rows.map((r) => ({ productId: r.produit_id, quantity: r.quantite, version: Number(r.version) }));
}

/** The last ledger line: what comes after it was written during the simulation. */
export async function ledgerMark(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ last: string | number | null }>('SELECT max(id) AS last FROM mouvement_stock');
  return Number(rows[0]?.last ?? 0);
}

export async function ledgerSince(db: pg.Pool, mark: number, productIds: readonly number[]): Promise<LedgerLine[]> {
  const { rows } = await db.query<{
    id: string | number; produit_id: number; delta: number; motif: string; commande_id: string | null;
    quantite_avant: number | null; quantite_apres: number | null; version: string | number | null;
  }>(
    `SELECT id, produit_id, delta, motif, commande_id, quantite_avant, quantite_apres, version
     FROM mouvement_stock WHERE id > $1 AND produit_id = ANY($2::int[]) ORDER BY id`,
    [mark, productIds],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    productId: r.produit_id,
    delta: r.delta,
    motif: r.motif,
    orderId: r.commande_id,
    before: r.quantite_avant,
    after: r.quantite_apres,
    version: r.version === null ? null : Number(r.version),
  }));
}

/**
 * Sets a stock row to `quantity` with an AJUSTEMENT ledger line of `ledgerDelta` (by default the
 * change made), under the row lock. A different ledger delta accounts for changes the ledger never
 * saw: the `none` mode writes the stock without ledger lines.
 */
export async function adjustStock(db: pg.Pool, productId: number, quantity: number, ledgerDelta?: number): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ quantite: number }>('SELECT quantite FROM stock WHERE produit_id = $1 FOR UPDATE', [productId]);
    const before = rows[0]?.quantite;
    if (before === undefined) throw new Error(`no stock row for product ${productId}`);
    const delta = ledgerDelta ?? quantity - before;
    if (quantity !== before) {
      const written = await client.query<{ version: string | number }>('UPDATE stock SET quantite = $2 WHERE produit_id = $1 RETURNING version', [productId, quantity]);
      if (delta !== 0) {
        await client.query(
          `INSERT INTO mouvement_stock (produit_id, delta, motif, quantite_avant, quantite_apres, version)
           VALUES ($1, $2, 'AJUSTEMENT', $3, $4, $5)`,
          [productId, delta, before, quantity, written.rows[0]!.version],
        );
      }
    } else if (delta !== 0) {
      await client.query(`INSERT INTO mouvement_stock (produit_id, delta, motif) VALUES ($1, $2, 'AJUSTEMENT')`, [productId, delta]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** `none` mode, step 1: a plain read, no lock. */
export async function readUnlocked(db: pg.Pool, productId: number): Promise<StockRow> {
  const [row] = await readStock(db, [productId]);
  if (!row) throw new Error(`no stock row for product ${productId}`);
  return row;
}

/** `none` mode, step 2: writes back a value computed from an earlier read, whatever happened since. */
export async function writeBlindly(db: pg.Pool, productId: number, quantity: number): Promise<StockRow> {
  const { rows } = await db.query<{ version: string | number }>('UPDATE stock SET quantite = $2 WHERE produit_id = $1 RETURNING version', [productId, quantity]);
  return { productId, quantity, version: Number(rows[0]!.version) };
}
