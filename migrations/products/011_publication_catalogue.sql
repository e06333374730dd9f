-- Product information, published to the sites outside this database's city (cluster/logical-copies.ts):
-- each keeps a copy in a database of its own (`copie_produits`) that its products subgraph reads,
-- so a catalogue read is served in the customer's city. Changes are made here only.
CREATE PUBLICATION catalogue FOR TABLE produit;
