/**
 * Everything this site stores about one client, as JSON: moved as a whole between fragments
 * (moveClient). The same function runs inside the move's delete transaction, under the client's
 * row lock, to check that nothing changed since the coordinator copied it.
 */
import type { Kysely } from 'kysely';
import type { SiteDatabase } from '../../../lib/db/tables.ts';

export { exportHash } from '../../../lib/twopc/work.ts';

export async function exportClient(db: Kysely<SiteDatabase>, clientId: number): Promise<string | null> {
  const client = await db.selectFrom('client').selectAll().where('id', '=', clientId).executeTakeFirst();
  if (!client) return null;
  const commandes = await db.selectFrom('commande').selectAll().where('client_id', '=', clientId).orderBy('created_at').orderBy('id').execute();
  const ids = commandes.map((c) => c.id);
  const lignes = ids.length ? await db.selectFrom('ligne_commande').selectAll().where('commande_id', 'in', ids).orderBy('commande_id').orderBy('produit_id').orderBy('site').execute() : [];
  const paiements = ids.length ? await db.selectFrom('paiement').selectAll().where('commande_id', 'in', ids).execute() : [];
  const intentions = await db
    .selectFrom('intention_commande')
    .select(['commande_id', 'client_id', 'cle_idempotence', 'empreinte', 'statut', 'code_erreur', 'message_erreur', 'montant', 'methode', 'bail'])
    .where('client_id', '=', clientId)
    .orderBy('commande_id')
    .execute();
  const sorties = ids.length
    ? await db.selectFrom('sortie_paiement').select(['commande_id', 'reference', 'operation', 'montant']).where('commande_id', 'in', ids).where('statut', '=', 'PENDING').orderBy('id').execute()
    : [];
  const iso = (d: Date) => d.toISOString();
  return JSON.stringify({
    client,
    orders: commandes.map((c) => {
      const p = paiements.find((x) => x.commande_id === c.id);
      return {
        commande: { ...c, created_at: iso(c.created_at) },
        lignes: lignes.filter((l) => l.commande_id === c.id),
        paiement: p ? { ...p, updated_at: iso(p.updated_at) } : null,
      };
    }),
    intentions: intentions.map((i) => ({ ...i, montant: Number(i.montant), bail: iso(new Date(i.bail)) })),
    sorties: sorties.map((s) => ({ ...s, montant: Number(s.montant) })),
  });
}
