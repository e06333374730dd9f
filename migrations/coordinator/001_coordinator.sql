-- Global services: the client directory, the 2PC decision log, global id sequences.

-- Client directory: which site holds each client's row (the router reads it to reach one site).
-- It also holds each client's email, so email uniqueness holds across all the fragments.
CREATE TABLE client_site (
  client_id integer PRIMARY KEY,
  site      text NOT NULL CHECK (site IN ('dakar', 'thies', 'saint-louis')),
  email     text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX client_site_email_key ON client_site (lower(email));
CREATE SEQUENCE client_id_seq START 1000;

-- 2PC decision log (presumed abort: only COMMIT decisions need to be durable before phase 2,
-- but aborts are logged too so recovery and operators can see them).
CREATE TABLE transaction_globale (
  gid         text PRIMARY KEY,
  commande_id uuid,
  kind        text NOT NULL CHECK (kind IN ('ORDER', 'CANCEL', 'MOVE_CLIENT', 'REGISTER')),
  decision    text CHECK (decision IN ('COMMIT', 'ABORT')),
  participants text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  decided_at  timestamptz,
  completed_at timestamptz
);
CREATE INDEX transaction_globale_incomplete ON transaction_globale (created_at) WHERE completed_at IS NULL;

-- Idempotency keys of placeOrder: one order per (client, key), even when two calls race.
CREATE TABLE cle_idempotence (
  client_id   integer NOT NULL,
  cle         text NOT NULL,
  commande_id uuid NOT NULL,
  site        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, cle)
);
