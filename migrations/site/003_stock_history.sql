-- The ledger as a history of reads and writes: each stock change also records the quantity it
-- read under its row lock, the quantity it wrote and the row version its write produced. Versions
-- order the writes of one (site, product) without relying on clocks, so a checker can rebuild the
-- precedence graph of the committed transactions. NULL on rows written before this migration.
ALTER TABLE mouvement_stock
  ADD COLUMN quantite_avant integer,
  ADD COLUMN quantite_apres integer,
  ADD COLUMN version        bigint;

-- AJUSTEMENT: an inventory correction of either sign (a count, or a simulation putting the stock
-- back as it found it), so every change of `stock` keeps a ledger line.
ALTER TABLE mouvement_stock DROP CONSTRAINT mouvement_stock_motif_check;
ALTER TABLE mouvement_stock ADD CONSTRAINT mouvement_stock_motif_check
  CHECK (motif IN ('COMMANDE', 'ANNULATION', 'REAPPROVISIONNEMENT', 'AJUSTEMENT'));
