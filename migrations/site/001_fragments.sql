-- Fragments held by every regional site. The city CHECK of `client` is per site
-- (migrations/<site>/002_client_fragment.sql).

-- Horizontal fragment CLIENT_site = σ[ville ∈ villes(site)](Client).
-- Ids are allocated globally (coordinator) so the union of fragments keeps them unique.
CREATE TABLE client (
  id    integer PRIMARY KEY CHECK (id > 0),
  nom   text NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
  ville text NOT NULL,
  email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254)
);
-- unique within the fragment here; across sites the coordinator's client directory enforces it
CREATE UNIQUE INDEX client_email_key ON client (lower(email));

-- Vertical fragment STOCK_site = π[id, stock_site](Produit): this warehouse's quantity per product.
-- produit_id refers to the products database (another server), so no foreign key can enforce it:
-- the coordinator checks products exist before any stock row is written.
CREATE TABLE stock (
  produit_id integer PRIMARY KEY CHECK (produit_id > 0),
  quantite   integer NOT NULL CHECK (quantite >= 0),
  -- bumped on every change; the timestamp strategy validates it at prepare time
  version    bigint  NOT NULL DEFAULT 0
);

CREATE FUNCTION stock_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER stock_version BEFORE UPDATE OF quantite ON stock
  FOR EACH ROW EXECUTE FUNCTION stock_bump_version();

-- Derived horizontal fragment COMMANDE_site = COMMANDE ⋉ CLIENT_site: orders live with their client.
CREATE TABLE commande (
  id              uuid PRIMARY KEY,
  client_id       integer NOT NULL REFERENCES client (id) ON UPDATE CASCADE,
  statut          text NOT NULL CHECK (statut IN ('CONFIRMEE', 'ANNULEE')),
  total           bigint NOT NULL CHECK (total >= 0),
  idempotency_key text,
  gid             text,   -- the global transaction id, or NULL for a one-site order
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX commande_client_idx ON commande (client_id, created_at);
CREATE UNIQUE INDEX commande_idempotency_key ON commande (client_id, idempotency_key);

-- LIGNE_COMMANDE_site = LIGNE_COMMANDE ⋉ COMMANDE_site; `site` names the warehouse that serves the line.
CREATE TABLE ligne_commande (
  commande_id   uuid    NOT NULL REFERENCES commande (id) ON DELETE CASCADE,
  produit_id    integer NOT NULL,
  site          text    NOT NULL CHECK (site IN ('dakar', 'thies', 'saint-louis')),
  quantite      integer NOT NULL CHECK (quantite > 0),
  prix_unitaire integer NOT NULL CHECK (prix_unitaire >= 0),
  PRIMARY KEY (commande_id, produit_id, site)
);

-- PAIEMENT_site = PAIEMENT ⋉ COMMANDE_site. Only a provider reference is stored, never card data.
CREATE TABLE paiement (
  commande_id uuid PRIMARY KEY REFERENCES commande (id) ON DELETE CASCADE,
  montant     bigint NOT NULL CHECK (montant >= 0),
  methode     text   NOT NULL CHECK (methode IN ('WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY')),
  statut      text   NOT NULL CHECK (statut IN ('AUTORISE', 'CAPTURE', 'ANNULE', 'REMBOURSE')),
  reference   text   NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The warehouse's ledger: every change to this site's stock with its cause. Conservation holds per
-- product: initial quantity = current quantity − Σ delta.
CREATE TABLE mouvement_stock (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  produit_id  integer NOT NULL,
  delta       integer NOT NULL CHECK (delta <> 0),
  motif       text    NOT NULL CHECK (motif IN ('COMMANDE', 'ANNULATION', 'REAPPROVISIONNEMENT')),
  commande_id uuid,   -- the order, which may live at another site
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mouvement_stock_commande_idx ON mouvement_stock (commande_id);

-- Two-phase commit decisions for which this site is the decision site (the order's client site):
-- the decision row commits in the same local transaction as this site's own work, so the outcome
-- of a global transaction is known exactly when that commit is durable. Recovery fences an
-- undecided transaction by inserting ABORT: the primary key makes it race safely with a COMMIT.
CREATE TABLE decision_2pc (
  gid        text PRIMARY KEY,
  decision   text NOT NULL CHECK (decision IN ('COMMIT', 'ABORT')),
  decided_at timestamptz NOT NULL DEFAULT now()
);
