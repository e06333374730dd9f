-- Who holds an order intent's lease: the coordinator that claimed it, and the run of its process
-- (`orders:<site>#<run>`). A coordinator that restarted takes over at once an intent its previous
-- run held, when the customer asks again: that run is gone, so nothing waits for its lease.
ALTER TABLE intention_commande ADD COLUMN titulaire text;
