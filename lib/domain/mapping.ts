/**
 * The one place where rows of the case study's French tables become English domain objects, and
 * back where a writer needs the stored vocabulary. Resolvers and services never see column names
 * such as `nom` or `quantite`, nor stored values such as `CONFIRMEE`.
 */
import type {
  ClientRow,
  CommandeRow,
  CommandeStatut,
  LigneCommandeRow,
  PaiementRow,
  PaiementStatut,
  ProduitRow,
  StockRow,
} from '../db/tables.ts';
import { isSiteId, SITE_IDS, SITES, siteByCode, type SiteCode, type SiteId } from '../sites.ts';
import type { Client, Order, OrderLine, OrderStatus, Payment, PaymentStatus, Product, StockLevel } from './model.ts';

// --- sites

/** The GraphQL `Site` enum's internal values: resolvers receive and return `SiteId`s. */
export const SITE_ENUM_VALUES: Readonly<Record<SiteCode, SiteId>> = Object.freeze(
  Object.fromEntries(SITE_IDS.map((id) => [SITES[id].code, id])) as Record<SiteCode, SiteId>,
);

export function siteCodeOf(site: SiteId): SiteCode {
  return SITES[site].code;
}

/**
 * The site named by a GraphQL `Site` value that did not go through the enum (an entity
 * representation is an `_Any` scalar, so its `site` arrives as the raw code), or null.
 */
export function siteIdOfCode(code: unknown): SiteId | null {
  return typeof code === 'string' ? (siteByCode(code)?.id ?? null) : null;
}

/** A stored site name; anything else means the row was written by a buggy writer. */
function storedSite(value: string, where: string): SiteId {
  if (!isSiteId(value)) throw new Error(`${where} holds an unknown site "${value}"`);
  return value;
}

// --- statuses

const ORDER_STATUS_OF: Readonly<Record<CommandeStatut, OrderStatus>> = { CONFIRMEE: 'CONFIRMED', ANNULEE: 'CANCELLED' };
const COMMANDE_STATUT_OF: Readonly<Record<OrderStatus, CommandeStatut>> = { CONFIRMED: 'CONFIRMEE', CANCELLED: 'ANNULEE' };

const PAYMENT_STATUS_OF: Readonly<Record<PaiementStatut, PaymentStatus>> = {
  AUTORISE: 'AUTHORIZED',
  CAPTURE: 'CAPTURED',
  ANNULE: 'VOIDED',
  REMBOURSE: 'REFUNDED',
};
const PAIEMENT_STATUT_OF: Readonly<Record<PaymentStatus, PaiementStatut>> = {
  AUTHORIZED: 'AUTORISE',
  CAPTURED: 'CAPTURE',
  VOIDED: 'ANNULE',
  REFUNDED: 'REMBOURSE',
};

function known<K extends string, V>(table: Readonly<Record<K, V>>, value: string, where: string): V {
  if (!Object.hasOwn(table, value)) throw new Error(`${where} holds an unknown value "${value}"`);
  return table[value as K];
}

export function orderStatusOf(statut: string): OrderStatus {
  return known(ORDER_STATUS_OF, statut, 'commande.statut');
}

/** The stored `commande.statut` of a status, for writers. */
export function commandeStatutOf(status: OrderStatus): CommandeStatut {
  return COMMANDE_STATUT_OF[status];
}

export function paymentStatusOf(statut: string): PaymentStatus {
  return known(PAYMENT_STATUS_OF, statut, 'paiement.statut');
}

/** The stored `paiement.statut` of a status, for writers. */
export function paiementStatutOf(status: PaymentStatus): PaiementStatut {
  return PAIEMENT_STATUT_OF[status];
}

// --- rows

export function productFromRow(row: Pick<ProduitRow, 'id' | 'nom' | 'description' | 'prix'>): Product {
  return { id: row.id, name: row.nom, description: row.description, price: row.prix };
}

/** A stock row of `site`'s warehouse (the table has no site column: each site holds its own). */
export function stockLevelFromRow(row: Pick<StockRow, 'produit_id' | 'quantite'>, site: SiteId): StockLevel {
  return { productId: row.produit_id, site, quantity: row.quantite };
}

/** A client row of `site`'s fragment. */
export function clientFromRow(row: Pick<ClientRow, 'id' | 'nom' | 'ville' | 'email'>, site: SiteId): Client {
  return { id: row.id, name: row.nom, city: row.ville, email: row.email, site };
}

/** An order row of `site`'s fragment. */
export function orderFromRow(
  row: Pick<CommandeRow, 'id' | 'client_id' | 'statut' | 'total' | 'idempotency_key' | 'gid' | 'created_at'>,
  site: SiteId,
): Order {
  return {
    id: row.id,
    site,
    clientId: row.client_id,
    status: orderStatusOf(row.statut),
    total: row.total,
    idempotencyKey: row.idempotency_key,
    globalTransactionId: row.gid,
    createdAt: row.created_at,
  };
}

export function orderLineFromRow(
  row: Pick<LigneCommandeRow, 'commande_id' | 'produit_id' | 'site' | 'quantite' | 'prix_unitaire'>,
): OrderLine {
  return {
    orderId: row.commande_id,
    productId: row.produit_id,
    site: storedSite(row.site, 'ligne_commande.site'),
    quantity: row.quantite,
    unitPrice: row.prix_unitaire,
  };
}

export function paymentFromRow(
  row: Pick<PaiementRow, 'commande_id' | 'montant' | 'methode' | 'statut' | 'reference' | 'updated_at'>,
): Payment {
  return {
    orderId: row.commande_id,
    amount: row.montant,
    method: row.methode,
    status: paymentStatusOf(row.statut),
    reference: row.reference,
    updatedAt: row.updated_at,
  };
}
