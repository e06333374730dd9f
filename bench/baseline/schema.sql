-- The single-node baseline: the same data as the distributed cluster, in unfragmented tables on
-- one PostgreSQL server.
CREATE TABLE produit (id integer PRIMARY KEY, nom text NOT NULL, description text, prix integer NOT NULL);
CREATE TABLE stock (
  produit_id integer NOT NULL REFERENCES produit (id),
  site text NOT NULL,
  quantite integer NOT NULL CHECK (quantite >= 0),
  PRIMARY KEY (produit_id, site)
);
CREATE TABLE client (id integer PRIMARY KEY, nom text NOT NULL, ville text NOT NULL, email text NOT NULL);
CREATE TABLE commande (
  id uuid PRIMARY KEY, client_id integer NOT NULL REFERENCES client (id), statut text NOT NULL,
  total bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ligne_commande (
  commande_id uuid NOT NULL REFERENCES commande (id), produit_id integer NOT NULL, site text NOT NULL,
  quantite integer NOT NULL, prix_unitaire integer NOT NULL, PRIMARY KEY (commande_id, produit_id, site)
);
CREATE TABLE paiement (
  commande_id uuid PRIMARY KEY REFERENCES commande (id), montant bigint NOT NULL, methode text NOT NULL,
  statut text NOT NULL, reference text NOT NULL
);
CREATE TABLE mouvement_stock (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, produit_id integer NOT NULL, site text NOT NULL,
  delta integer NOT NULL, commande_id uuid
);
