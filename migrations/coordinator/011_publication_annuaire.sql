-- The client directory, published to every site (cluster/logical-copies.ts): each site keeps a
-- local copy in its own database, read by the site's order coordinator and gateway.
CREATE PUBLICATION annuaire FOR TABLE client_site;
