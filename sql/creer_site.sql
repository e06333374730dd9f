-- Livrable 2 : crée les tables d'un site régional (Dakar, Thiès ou Saint-Louis) et y insère ses
-- données, avec le seul client psql.
--
-- Usage (base vide, créée au préalable) :
--   createdb -h 127.0.0.1 -p 5432 -U teranga teranga_thies
--   psql -h 127.0.0.1 -p 5432 -U teranga -v site=thies -f sql/creer_site.sql teranga_thies
-- `site` vaut dakar, thies ou saint-louis. Le script s'arrête à la première erreur et s'exécute
-- en une seule transaction : une erreur ne laisse aucune table.
--
-- Il n'écrit aucune instruction lui-même : il inclut (\ir), dans l'ordre de leur numéro, les
-- fichiers de migrations/ qu'applique `teranga migrate` à un site — ceux de migrations/site/,
-- communs aux trois sites, et migrations/<site>/002_client_fragment.sql, qui porte la contrainte
-- de ville du fragment CLIENT_<site>, ses clients et le stock de son entrepôt (STOCK_<site>).
-- test/sql-script.e2e.ts vérifie que cette liste est exactement celle de `teranga migrate`.
-- Seule différence : le journal des migrations (table teranga_migration) n'est pas rempli.
--
-- Prérequis : PostgreSQL 15 ou plus, et l'extension pg_stat_statements disponible (paquet
-- postgresql-contrib ; migrations/site/009_statistiques.sql la crée).

\set ON_ERROR_STOP on

\if :{?site}
\else
  \echo 'Donnez le site : psql -v site=dakar|thies|saint-louis -f sql/creer_site.sql <base>'
  SELECT 'variable site absente'::integer;
\endif

SELECT :'site' = 'dakar' AS site_dakar,
       :'site' = 'thies' AS site_thies,
       :'site' = 'saint-louis' AS site_saint_louis,
       :'site' IN ('dakar', 'thies', 'saint-louis') AS site_connu
\gset

\if :site_connu
\else
  \echo 'Site inconnu :' :'site' '(dakar, thies ou saint-louis)'
  SELECT 'site inconnu'::integer;
\endif

BEGIN;

-- fragments communs : client, stock (avec version), commande, ligne_commande, paiement,
-- mouvement_stock, decision_2pc
\ir ../migrations/site/001_fragments.sql

-- contrainte de ville du fragment, clients du site, stock de son entrepôt
\if :site_dakar
  \ir ../migrations/dakar/002_client_fragment.sql
\elif :site_thies
  \ir ../migrations/thies/002_client_fragment.sql
\elif :site_saint_louis
  \ir ../migrations/saint-louis/002_client_fragment.sql
\endif

-- historique du stock lu par le vérificateur de sérialisabilité
\ir ../migrations/site/003_stock_history.sql
-- intention de commande et boîte d'envoi des paiements
\ir ../migrations/site/004_paiement_protocole.sql
-- statistiques par instruction (pg_stat_statements)
\ir ../migrations/site/009_statistiques.sql
-- copies locales : publication du stock, battement, annuaire des clients
\ir ../migrations/site/011_copies_locales.sql
-- détenteur du bail d'une intention de commande (coordinateur et exécution de son processus)
\ir ../migrations/site/012_titulaire_intention.sql

COMMIT;

SELECT :'site' AS site,
       (SELECT count(*) FROM client) AS clients,
       (SELECT count(*) FROM stock) AS produits_en_stock,
       (SELECT sum(quantite) FROM stock) AS unites_en_stock;
