-- The first design kept the 2PC decision log and the idempotency keys here. The decision is now
-- written at the client's site (decision_2pc, in the same local transaction as that site's work)
-- and idempotency is the unique (client_id, idempotency_key) index of commande: both tables were
-- never written. Dropped so the schema says what the system does.
DROP TABLE IF EXISTS transaction_globale;
DROP TABLE IF EXISTS cle_idempotence;
