-- Vertical fragment PRODUIT_INFO = π[id, nom, description, prix](Produit).
-- The stock column lives in the `stock` fragment at each regional site.
CREATE TABLE produit (
  id          integer PRIMARY KEY CHECK (id > 0),
  nom         text    NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
  description text             CHECK (length(description) <= 2000),
  prix        integer NOT NULL CHECK (prix >= 0)  -- FCFA, no minor unit
);
CREATE SEQUENCE produit_id_seq START 1000 OWNED BY produit.id;
ALTER TABLE produit ALTER COLUMN id SET DEFAULT nextval('produit_id_seq');
