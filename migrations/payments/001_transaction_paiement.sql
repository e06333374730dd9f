-- The payment provider's ledger (the local stand-in for Wave, Orange Money or a card acquirer):
-- one row per authorization, keyed by the caller's Idempotency-Key. `empreinte` is the hash of
-- the request that created it: the same key with another request is refused (409).
CREATE TABLE transaction_paiement (
  reference       text PRIMARY KEY,
  cle_idempotence text NOT NULL UNIQUE CHECK (length(cle_idempotence) BETWEEN 1 AND 255),
  empreinte       text NOT NULL,
  commande_id     uuid NOT NULL,
  montant         bigint NOT NULL CHECK (montant >= 0),
  devise          text NOT NULL CHECK (devise = 'XOF'),
  methode         text NOT NULL CHECK (methode IN ('WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY')),
  statut          text NOT NULL CHECK (statut IN ('AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transaction_paiement_commande_idx ON transaction_paiement (commande_id);

-- Every transition the provider applied, in order: captures are counted from here, so "captured
-- exactly once" can be checked, not assumed.
CREATE TABLE operation_paiement (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference   text NOT NULL REFERENCES transaction_paiement (reference),
  operation   text NOT NULL CHECK (operation IN ('AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operation_paiement_reference_idx ON operation_paiement (reference);
