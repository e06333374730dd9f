-- Task 3c: executes one order across the sites from the coordinator database, with dblink.
--
-- Every warehouse other than the client's site does its share (lock its stock row, check it,
-- decrement it, record the movement) and PREPAREs it. Then the client's site does its own share,
-- writes the order, its lines and its payment, records the COMMIT decision in `decision_2pc`, and
-- commits: that local commit is the global decision. Finally COMMIT PREPARED at every other site.
-- Any refusal before the decision rolls back every prepared share: nothing changes anywhere.
-- This is the same protocol the orders coordinator runs (subgraphs/orders/two-phase-commit.ts),
-- so recovery resolves what a crash of this script leaves prepared.
--
-- Run it on the coordinator (psql -h 127.0.0.1 -p 15408 -U teranga teranga -f sql/commande_repartie.sql):
-- it (re)defines the function, then places the example order at the end of this file.

CREATE OR REPLACE FUNCTION commande_repartie(p_client integer, p_lignes jsonb, p_methode text DEFAULT 'CASH_ON_DELIVERY')
RETURNS uuid LANGUAGE plpgsql AS $fn$
DECLARE
  v_site_client text;
  v_commande uuid := gen_random_uuid();
  v_gid text;
  v_sites text[];
  v_prepares text[] := '{}';
  v_site text;
  v_ligne jsonb;
  v_dispo integer;
  v_total bigint := 0;
  v_prix integer;
BEGIN
  SELECT site INTO v_site_client FROM client_site WHERE client_id = p_client;
  IF v_site_client IS NULL THEN
    RAISE EXCEPTION 'UNKNOWN_CLIENT: client % inconnu', p_client;
  END IF;
  v_gid := format('tg:order:%s:%s', v_commande, v_site_client);

  -- prices come from the products database, never from the caller
  FOR v_ligne IN SELECT * FROM jsonb_array_elements(p_lignes) LOOP
    SELECT prix INTO v_prix FROM fdw_products.produit WHERE id = (v_ligne->>'produit_id')::integer;
    IF v_prix IS NULL THEN
      RAISE EXCEPTION 'UNKNOWN_PRODUCT: produit % inconnu', v_ligne->>'produit_id';
    END IF;
    v_total := v_total + v_prix::bigint * (v_ligne->>'quantite')::integer;
  END LOOP;

  SELECT array_agg(DISTINCT s ORDER BY s) INTO v_sites
  FROM (SELECT l->>'site' AS s FROM jsonb_array_elements(p_lignes) l UNION SELECT v_site_client) x;

  BEGIN
    -- phase 1: every warehouse but the client's site prepares its share
    FOREACH v_site IN ARRAY v_sites LOOP
      PERFORM dblink_connect('cmd_' || replace(v_site, '-', '_'), 'srv_' || replace(v_site, '-', '_'));
      PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), 'BEGIN');
      FOR v_ligne IN SELECT * FROM jsonb_array_elements(p_lignes) l WHERE l->>'site' = v_site ORDER BY (l->>'produit_id')::integer LOOP
        SELECT q INTO v_dispo FROM dblink('cmd_' || replace(v_site, '-', '_'),
          format('SELECT quantite FROM stock WHERE produit_id = %s FOR UPDATE', (v_ligne->>'produit_id')::integer)) AS t(q integer);
        IF v_dispo IS NULL OR v_dispo < (v_ligne->>'quantite')::integer THEN
          RAISE EXCEPTION 'OUT_OF_STOCK: produit % à %: % disponible(s), % demandé(s)',
            v_ligne->>'produit_id', v_site, coalesce(v_dispo, 0), v_ligne->>'quantite';
        END IF;
        PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), format(
          'UPDATE stock SET quantite = quantite - %1$s WHERE produit_id = %2$s;
           INSERT INTO mouvement_stock (produit_id, delta, motif, commande_id) VALUES (%2$s, -%1$s, %3$L, %4$L)',
          (v_ligne->>'quantite')::integer, (v_ligne->>'produit_id')::integer, 'COMMANDE', v_commande));
      END LOOP;
      IF v_site <> v_site_client THEN
        PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), format('PREPARE TRANSACTION %L', v_gid));
        v_prepares := v_prepares || v_site;
      END IF;
    END LOOP;

    -- decision: the client's site writes the order and the COMMIT decision, and commits
    PERFORM dblink_exec('cmd_' || replace(v_site_client, '-', '_'), format(
      'INSERT INTO commande (id, client_id, statut, total, gid) VALUES (%1$L, %2$s, %3$L, %4$s, %5$L);
       INSERT INTO paiement (commande_id, montant, methode, statut, reference) VALUES (%1$L, %4$s, %6$L, %7$L, %8$L);
       INSERT INTO decision_2pc (gid, decision) VALUES (%5$L, %9$L)',
      v_commande, p_client, 'CONFIRMEE', v_total, v_gid, p_methode, 'CAPTURE', 'SQL-' || v_commande, 'COMMIT'));
    FOR v_ligne IN SELECT * FROM jsonb_array_elements(p_lignes) LOOP
      PERFORM dblink_exec('cmd_' || replace(v_site_client, '-', '_'), format(
        'INSERT INTO ligne_commande (commande_id, produit_id, site, quantite, prix_unitaire)
         SELECT %1$L, %2$s, %3$L, %4$s, %5$s',
        v_commande, (v_ligne->>'produit_id')::integer, v_ligne->>'site', (v_ligne->>'quantite')::integer,
        (SELECT prix FROM fdw_products.produit WHERE id = (v_ligne->>'produit_id')::integer)));
    END LOOP;
    PERFORM dblink_exec('cmd_' || replace(v_site_client, '-', '_'), 'COMMIT');
  EXCEPTION WHEN OTHERS THEN
    -- before the decision: undo every share, prepared or still open
    FOREACH v_site IN ARRAY v_sites LOOP
      IF v_site = ANY (v_prepares) THEN
        PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), format('ROLLBACK PREPARED %L', v_gid));
      ELSIF 'cmd_' || replace(v_site, '-', '_') = ANY (coalesce(dblink_get_connections(), '{}')) THEN
        PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), 'ROLLBACK');
      END IF;
      IF 'cmd_' || replace(v_site, '-', '_') = ANY (coalesce(dblink_get_connections(), '{}')) THEN
        PERFORM dblink_disconnect('cmd_' || replace(v_site, '-', '_'));
      END IF;
    END LOOP;
    RAISE;
  END;

  -- phase 2: the decision is durable; finish every prepared share
  FOREACH v_site IN ARRAY v_prepares LOOP
    PERFORM dblink_exec('cmd_' || replace(v_site, '-', '_'), format('COMMIT PREPARED %L', v_gid));
  END LOOP;
  FOREACH v_site IN ARRAY v_sites LOOP
    PERFORM dblink_disconnect('cmd_' || replace(v_site, '-', '_'));
  END LOOP;
  RETURN v_commande;
END
$fn$;

-- Example: Ibrahima Ba (client 3, Saint-Louis) orders two mechanical keyboards, one from the
-- Saint-Louis warehouse and one from Thiès.
SELECT commande_repartie(3, '[
  {"produit_id": 106, "site": "saint-louis", "quantite": 1},
  {"produit_id": 106, "site": "thies", "quantite": 1}
]'::jsonb) AS commande;
