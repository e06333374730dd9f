-- Local reads at every site, fed by PostgreSQL logical replication (cluster/logical-copies.ts).
--
-- This warehouse publishes its stock, with a heartbeat row its region process refreshes every
-- second: the other sites subscribe to both, each into a database of its own named after this
-- site (`copie_<site>`), because a subscription matches tables by schema-qualified name and
-- every site already has its own `public.stock`. A copy holds every change this warehouse
-- committed before the heartbeat instant it shows, which bounds the copy's age.
CREATE TABLE battement (
  site    text PRIMARY KEY CHECK (site IN ('dakar', 'thies', 'saint-louis')),
  instant timestamptz NOT NULL
);
CREATE PUBLICATION entrepot FOR TABLE stock, battement;

-- The coordinator's client directory, copied here by subscription (publication `annuaire`), so
-- that this site's gateway finds a client's site without crossing to the coordinator. Written
-- only by the subscription: the coordinator's table stays the one that is changed.
CREATE TABLE client_site (
  client_id  integer PRIMARY KEY,
  site       text NOT NULL,
  email      text NOT NULL,
  updated_at timestamptz NOT NULL
);
