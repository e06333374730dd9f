-- Reconstruction of the global relations from their fragments, through postgres_fdw.
-- The foreign servers srv_* are (re)defined from the topology at every boot (lib/foreign-servers.ts).

CREATE SCHEMA fdw_products;
CREATE SCHEMA fdw_dakar;
CREATE SCHEMA fdw_thies;
CREATE SCHEMA fdw_saint_louis;

IMPORT FOREIGN SCHEMA public LIMIT TO (produit) FROM SERVER srv_products INTO fdw_products;
IMPORT FOREIGN SCHEMA public LIMIT TO (client, stock, commande, ligne_commande, paiement, mouvement_stock)
  FROM SERVER srv_dakar INTO fdw_dakar;
IMPORT FOREIGN SCHEMA public LIMIT TO (client, stock, commande, ligne_commande, paiement, mouvement_stock)
  FROM SERVER srv_thies INTO fdw_thies;
IMPORT FOREIGN SCHEMA public LIMIT TO (client, stock, commande, ligne_commande, paiement, mouvement_stock)
  FROM SERVER srv_saint_louis INTO fdw_saint_louis;

-- Client = CLIENT_dakar ∪ CLIENT_thies ∪ CLIENT_saint_louis, with the site each row lives at.
CREATE VIEW client_fragment AS
  SELECT id, nom, ville, email, 'dakar'::text AS site FROM fdw_dakar.client
  UNION ALL SELECT id, nom, ville, email, 'thies' FROM fdw_thies.client
  UNION ALL SELECT id, nom, ville, email, 'saint-louis' FROM fdw_saint_louis.client;

CREATE VIEW client AS SELECT id, nom, ville, email FROM client_fragment;

-- The stock fragments side by side: one row per (product, warehouse).
CREATE VIEW stock_global AS
  SELECT produit_id, 'dakar'::text AS site, quantite FROM fdw_dakar.stock
  UNION ALL SELECT produit_id, 'thies', quantite FROM fdw_thies.stock
  UNION ALL SELECT produit_id, 'saint-louis', quantite FROM fdw_saint_louis.stock;

-- Produit = PRODUIT_INFO ⋈ γ[produit_id; sum(quantite)](STOCK_dakar ∪ STOCK_thies ∪ STOCK_saint_louis)
CREATE VIEW produit AS
  SELECT p.id, p.nom, p.description, p.prix, COALESCE(s.stock, 0)::integer AS stock
  FROM fdw_products.produit p
  LEFT JOIN (SELECT produit_id, sum(quantite) AS stock FROM stock_global GROUP BY produit_id) s
    ON s.produit_id = p.id;

CREATE VIEW commande AS
  SELECT *, 'dakar'::text AS site FROM fdw_dakar.commande
  UNION ALL SELECT *, 'thies' FROM fdw_thies.commande
  UNION ALL SELECT *, 'saint-louis' FROM fdw_saint_louis.commande;

CREATE VIEW paiement AS
  SELECT *, 'dakar'::text AS site FROM fdw_dakar.paiement
  UNION ALL SELECT *, 'thies' FROM fdw_thies.paiement
  UNION ALL SELECT *, 'saint-louis' FROM fdw_saint_louis.paiement;
