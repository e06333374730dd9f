/**
 * What must hold once a schedule has run, recovery and the relays included: every order
 * all-or-nothing across sites; stock conserved and never negative; the payment consistent with
 * the order (confirmed ⇒ captured exactly once and never voided; not confirmed ⇒ nothing
 * captured); no prepared transaction left, and none left behind by a rollback sent before its vote;
 * one order per idempotency key; and what a caller was
 * told holds (confirmed ⇒ the order exists; a definite failure ⇒ it never commits).
 */
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import type { World } from './world.ts';

export interface Violation {
  invariant: string;
  detail: string;
}

export function checkInvariants(world: World): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  const { sites, provider } = world;

  const commandes = new Map<string, { site: SiteId; lines: ReadonlyMap<SiteId, readonly { productId: number; delta: number }[]>; clientId: number; key: string | null }>();
  for (const site of SITE_IDS) {
    for (const c of sites[site].commandes.values()) commandes.set(c.orderId, { site, lines: c.lines, clientId: c.clientId, key: c.key });
  }

  // no prepared transaction left after recovery
  for (const site of SITE_IDS) {
    for (const gid of sites[site].prepared.keys()) fail('no-prepared-left', `${gid} still prepared at ${site}`);
    const pending = sites[site].intents.size > 0 ? [...sites[site].intents.values()].filter((i) => i.status === 'PENDING') : [];
    for (const i of pending) fail('intents-settled', `intent ${i.orderId} still PENDING at ${site}`);
  }

  // a share is rolled back only once its vote is in (or its answer was given up on): a rollback
  // that overtakes its PREPARE leaves the share prepared, its rows locked until recovery's timeout
  for (const site of SITE_IDS) {
    for (const gid of sites[site].preparedAfterRollback) {
      if (!world.unansweredPrepares.has(`${site}/${gid}`)) fail('no-rollback-before-vote', `${gid} was rolled back at ${site} before its PREPARE, which then held it prepared`);
    }
  }

  // all-or-nothing: each site's stock ledger shows exactly the order's lines of that site, or nothing
  const orderIds = new Set<string>(commandes.keys());
  for (const site of SITE_IDS) for (const id of sites[site].moves.keys()) orderIds.add(id);
  for (const orderId of orderIds) {
    const order = commandes.get(orderId);
    for (const site of SITE_IDS) {
      const moved = sites[site].moves.get(orderId) ?? new Map<number, number>();
      const expected = new Map<number, number>();
      for (const l of order?.lines.get(site) ?? []) expected.set(l.productId, (expected.get(l.productId) ?? 0) + l.delta);
      for (const p of new Set([...moved.keys(), ...expected.keys()])) {
        if ((moved.get(p) ?? 0) !== (expected.get(p) ?? 0)) {
          fail('all-or-nothing', `order ${orderId} (${order ? 'confirmed' : 'not confirmed'}) moved ${moved.get(p) ?? 0} of product ${p} at ${site}, its lines say ${expected.get(p) ?? 0}`);
        }
      }
    }
  }

  // stock conserved: initial + Σ ledger = current, never negative
  for (const site of SITE_IDS) {
    const s = sites[site];
    if (s.negative) fail('stock-never-negative', s.negative);
    for (const [p, initial] of s.initial) {
      let sum = 0;
      for (const m of s.moves.values()) sum += m.get(p) ?? 0;
      const current = s.stock.get(p) ?? 0;
      if (initial + sum !== current) fail('stock-conserved', `product ${p} at ${site}: ${initial} + ${sum} ≠ ${current}`);
      if (current < 0) fail('stock-never-negative', `product ${p} at ${site} is ${current}`);
    }
  }

  // payments: confirmed ⇒ one capture, never voided; otherwise nothing captured
  const byOrder = new Map<string, { status: string; reference: string }[]>();
  for (const e of provider.ledger.values()) {
    if (!byOrder.has(e.orderId)) byOrder.set(e.orderId, []);
    byOrder.get(e.orderId)!.push(e);
  }
  for (const [orderId, order] of commandes) {
    const entries = byOrder.get(orderId) ?? [];
    const captured = entries.filter((e) => e.status === 'CAPTURED');
    const paiement = sites[order.site].paiements.get(orderId);
    if (captured.length !== 1) {
      fail('confirmed-is-captured', `confirmed order ${orderId}: ${captured.length} captures at the provider (${entries.map((e) => `${e.reference}=${e.status}`).join(', ') || 'no payment'})`);
    } else if (paiement?.reference !== captured[0]!.reference) {
      fail('confirmed-is-captured', `confirmed order ${orderId}: paiement names ${paiement?.reference}, the capture is ${captured[0]!.reference}`);
    }
    if (paiement && paiement.status !== 'CAPTURE') fail('payment-status-true', `confirmed order ${orderId}: paiement says ${paiement.status} after the relay ran`);
  }
  for (const [orderId, entries] of byOrder) {
    if (commandes.has(orderId)) continue;
    for (const e of entries) if (e.status === 'CAPTURED') fail('refused-never-captured', `order ${orderId} not confirmed, yet ${e.reference} is captured`);
    for (const e of entries) if (e.status === 'AUTHORIZED') fail('refused-is-voided', `order ${orderId} not confirmed, yet ${e.reference} is still authorized`);
  }

  // one order per idempotency key
  const perKey = new Map<string, string[]>();
  for (const [orderId, c] of commandes) {
    if (c.key === null) continue;
    const k = `${c.clientId}:${c.key}`;
    perKey.set(k, [...(perKey.get(k) ?? []), orderId]);
  }
  for (const [k, ids] of perKey) if (ids.length > 1) fail('one-order-per-key', `key ${k} has orders ${ids.join(', ')}`);

  // what callers were told holds
  for (const r of world.replies) {
    if (r.reply.ok) {
      const order = commandes.get(r.reply.orderId);
      if (!order) fail('told-confirmed-exists', `caller #${r.request.index} was told ${r.reply.orderId} is confirmed; it is not`);
      const intent = order ? sites[order.site].intents.get(r.reply.orderId) : undefined;
      if (intent && intent.fingerprint !== r.request.fingerprint) fail('told-confirmed-exists', `caller #${r.request.index} was given an order of another request`);
    } else if (r.reply.code !== 'SITE_UNAVAILABLE' && r.reply.code !== 'IDEMPOTENCY_KEY_REUSED' && commandes.has(r.orderId)) {
      fail('told-failed-never-commits', `caller #${r.request.index} was told ${r.reply.code} for ${r.orderId}, which committed`);
    }
  }
  return violations;
}
