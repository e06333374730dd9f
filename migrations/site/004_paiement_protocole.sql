-- Payment inside the order protocol.
--
-- INTENTION_COMMANDE: the durable record of one order request at the client's site, written before
-- the payment is authorized. It carries the idempotency key and the fingerprint of the request
-- (same key, other request: refused), the outcome once known, and a lease: whoever holds an
-- unexpired lease drives the order; an expired PENDING intent is taken over or finalized by recovery.
-- Its row is also the fence between the decision transaction (PENDING → CONFIRMED) and the final
-- failure (PENDING → FAILED): both update it, so only one of them can win.
CREATE TABLE intention_commande (
  commande_id     uuid PRIMARY KEY,
  client_id       integer NOT NULL,
  cle_idempotence text CHECK (length(cle_idempotence) BETWEEN 1 AND 200),
  empreinte       text NOT NULL,
  statut          text NOT NULL CHECK (statut IN ('PENDING', 'CONFIRMED', 'FAILED')),
  code_erreur     text,
  message_erreur  text,
  montant         bigint NOT NULL CHECK (montant >= 0),
  methode         text NOT NULL CHECK (methode IN ('WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY')),
  bail            timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX intention_commande_cle ON intention_commande (client_id, cle_idempotence);
CREATE INDEX intention_commande_en_cours ON intention_commande (bail) WHERE statut = 'PENDING';

-- SORTIE_PAIEMENT: the outbox. The transaction that decides an order (or cancels it, or gives it
-- up) writes here what its payment must become; the site's relay drives each row to the provider
-- until acknowledged, in id order per order, and only then sets `paiement.statut`.
CREATE TABLE sortie_paiement (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  commande_id     uuid NOT NULL,
  -- NULL when the authorization's answer was lost: the relay finds it by order id at the provider
  reference       text,
  operation       text NOT NULL CHECK (operation IN ('CAPTURE', 'VOID', 'REFUND')),
  montant         bigint NOT NULL CHECK (montant >= 0),
  statut          text NOT NULL DEFAULT 'PENDING' CHECK (statut IN ('PENDING', 'DONE', 'REJECTED')),
  tentatives      integer NOT NULL DEFAULT 0,
  derniere_erreur text,
  prochain_essai  timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz
);
CREATE INDEX sortie_paiement_a_faire ON sortie_paiement (id) WHERE statut = 'PENDING';
CREATE INDEX sortie_paiement_commande ON sortie_paiement (commande_id);
