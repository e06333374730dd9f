/**
 * Table types of every database, in the case study's vocabulary. One interface per database role;
 * repositories take a `Kysely<…Database>` (or a transaction) as their first argument.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

// --- products database: PRODUIT_INFO = π[id, nom, description, prix](Produit)
export interface ProduitTable {
  id: Generated<number>;
  nom: string;
  description: string | null;
  prix: number;
}

export interface ProductsDatabase {
  produit: ProduitTable;
}

// --- each regional site
export interface ClientTable {
  id: number;
  nom: string;
  ville: string;
  email: string;
}

export interface StockTable {
  produit_id: number;
  quantite: number;
  version: Generated<number>;
}

export type CommandeStatut = 'CONFIRMEE' | 'ANNULEE';

export interface CommandeTable {
  id: string;
  client_id: number;
  statut: CommandeStatut;
  total: number;
  idempotency_key: string | null;
  gid: string | null;
  created_at: Timestamp;
}

export interface LigneCommandeTable {
  commande_id: string;
  produit_id: number;
  site: string;
  quantite: number;
  prix_unitaire: number;
}

export type PaiementMethode = 'WAVE' | 'ORANGE_MONEY' | 'CARD' | 'CASH_ON_DELIVERY';
export type PaiementStatut = 'AUTORISE' | 'CAPTURE' | 'ANNULE' | 'REMBOURSE';

export interface PaiementTable {
  commande_id: string;
  montant: number;
  methode: PaiementMethode;
  statut: PaiementStatut;
  reference: string;
  updated_at: Timestamp;
}

export type MouvementMotif = 'COMMANDE' | 'ANNULATION' | 'REAPPROVISIONNEMENT' | 'AJUSTEMENT';

export interface MouvementStockTable {
  id: Generated<number>;
  produit_id: number;
  delta: number;
  motif: MouvementMotif;
  commande_id: string | null;
  created_at: Timestamp;
  /** The quantity read under the row lock and the one written (NULL before migration 003). */
  quantite_avant: number | null;
  quantite_apres: number | null;
  /** The stock row version this change produced: orders the writes of one (site, product). */
  version: number | null;
}

export interface Decision2pcTable {
  gid: string;
  decision: Decision;
  decided_at: Generated<Date>;
}

export type IntentionStatut = 'PENDING' | 'CONFIRMED' | 'FAILED';

/** The durable record of one order request at the client's site (migrations/site/004). */
export interface IntentionCommandeTable {
  commande_id: string;
  client_id: number;
  cle_idempotence: string | null;
  empreinte: string;
  statut: IntentionStatut;
  code_erreur: string | null;
  message_erreur: string | null;
  montant: number;
  methode: PaiementMethode;
  bail: Timestamp;
  /** The lease's holder, `orders:<site>#<run>` (lib/twopc/intent.ts); null for an intent moved with its client. */
  titulaire: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type OperationPaiement = 'CAPTURE' | 'VOID' | 'REFUND';

/** The payment outbox: what each order's payment must become at the provider. */
export interface SortiePaiementTable {
  id: Generated<number>;
  commande_id: string;
  reference: string | null;
  operation: OperationPaiement;
  montant: number;
  statut: ColumnType<'PENDING' | 'DONE' | 'REJECTED', 'PENDING' | 'DONE' | 'REJECTED' | undefined, 'PENDING' | 'DONE' | 'REJECTED'>;
  tentatives: Generated<number>;
  derniere_erreur: string | null;
  prochain_essai: Generated<Date>;
  created_at: Generated<Date>;
  done_at: Date | null;
}

export interface SiteDatabase {
  decision_2pc: Decision2pcTable;
  intention_commande: IntentionCommandeTable;
  sortie_paiement: SortiePaiementTable;
  client: ClientTable;
  stock: StockTable;
  commande: CommandeTable;
  ligne_commande: LigneCommandeTable;
  paiement: PaiementTable;
  mouvement_stock: MouvementStockTable;
}

// --- coordinator
export interface ClientSiteTable {
  client_id: number;
  site: string;
  email: string;
  updated_at: Timestamp;
}

export type Decision = 'COMMIT' | 'ABORT';

export interface CoordinatorDatabase {
  client_site: ClientSiteTable;
}

// --- the payment provider's own database (services/payments)
export type TransactionStatut = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

export interface TransactionPaiementTable {
  reference: string;
  cle_idempotence: string;
  empreinte: string;
  commande_id: string;
  montant: number;
  devise: 'XOF';
  methode: PaiementMethode;
  statut: TransactionStatut;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OperationPaiementTable {
  id: Generated<number>;
  reference: string;
  operation: 'AUTHORIZE' | 'CAPTURE' | 'VOID' | 'REFUND';
  created_at: Generated<Date>;
}

export interface PaymentsDatabase {
  transaction_paiement: TransactionPaiementTable;
  operation_paiement: OperationPaiementTable;
}

export type ClientRow = Selectable<ClientTable>;
export type ProduitRow = Selectable<ProduitTable>;
export type StockRow = Selectable<StockTable>;
export type CommandeRow = Selectable<CommandeTable>;
export type LigneCommandeRow = Selectable<LigneCommandeTable>;
export type PaiementRow = Selectable<PaiementTable>;
export type NewClient = Insertable<ClientTable>;
