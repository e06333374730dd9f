/**
 * Teranga's domain model in English: what the subgraphs, the coordinator and the REST API reason
 * about. Rows of the case study's French tables become these types in lib/domain/mapping.ts only.
 *
 * Sites are `SiteId`s ('saint-louis'), the identifier the topology and the SQL use; the GraphQL
 * `Site` enum ('SAINT_LOUIS') is mapped at the schema boundary (`SITE_ENUM_VALUES`).
 */
import type { SiteId } from '../sites.ts';

/** General information of a product (the PRODUIT_INFO fragment). */
export interface Product {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  /** FCFA, no minor unit. */
  readonly price: number;
}

/** The quantity of one product held by one site's warehouse (the STOCK fragment). */
export interface StockLevel {
  readonly productId: number;
  readonly site: SiteId;
  readonly quantity: number;
}

/** A customer, held by the site that serves their city. */
export interface Client {
  readonly id: number;
  readonly name: string;
  /** Canonical spelling, as in the placement table ("Thiès"). */
  readonly city: string;
  readonly email: string;
  readonly site: SiteId;
}

export const ORDER_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order, held by its client's site. */
export interface Order {
  /** A uuid. */
  readonly id: string;
  /** The site holding the order: its client's site. */
  readonly site: SiteId;
  readonly clientId: number;
  readonly status: OrderStatus;
  /** FCFA, the sum of the lines at server-side prices. */
  readonly total: number;
  readonly idempotencyKey: string | null;
  /** The two-phase commit's global transaction id, or null for a one-site order. */
  readonly globalTransactionId: string | null;
  readonly createdAt: Date;
}

/** The part of an order served by one warehouse. */
export interface OrderLine {
  readonly orderId: string;
  readonly productId: number;
  /** The warehouse serving the line, which may differ from the order's site. */
  readonly site: SiteId;
  readonly quantity: number;
  /** FCFA per unit when the order was placed. */
  readonly unitPrice: number;
}

export const PAYMENT_METHODS = ['WAVE', 'ORANGE_MONEY', 'CARD', 'CASH_ON_DELIVERY'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const PAYMENT_STATUSES = ['AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A payment of an order; only the provider's reference is kept, never card data. */
export interface Payment {
  readonly orderId: string;
  readonly amount: number;
  readonly method: PaymentMethod;
  readonly status: PaymentStatus;
  readonly reference: string;
  readonly updatedAt: Date;
}
