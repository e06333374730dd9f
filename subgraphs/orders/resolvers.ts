/**
 * Resolvers of the orders subgraph: thin adapters from GraphQL arguments to the order service,
 * with the access rules of each mutation (lib/auth/access.ts): a customer orders and cancels for
 * themselves only, moving a client is an administrator's, and anyone may sign up.
 */
import { requireAdmin, requireAuthenticated, requireClientAccess } from '../../lib/auth/access.ts';
import type { Principal } from '../../lib/auth/principal.ts';
import { TerangaError } from '../../lib/errors.ts';
import type { PaymentMethod } from '../../lib/twopc/work.ts';
import { orderOutcomes } from './metrics.ts';
import type { OrderService, PlaceOrderInput } from './order-service.ts';

export interface OrdersContext {
  orders: OrderService;
  /** Who is calling, as their credentials prove. */
  principal: Principal;
  /** When the caller stops waiting (epoch ms, from the gateway), or null. */
  deadlineAt: number | null;
}

const codeOf = (error: unknown) => (error instanceof TerangaError ? error.code : 'INTERNAL_SERVER_ERROR');

export const ordersResolvers = {
  Mutation: {
    placeOrder: async (_: unknown, args: { input: PlaceOrderInput & { paymentMethod?: PaymentMethod | null } }, ctx: OrdersContext) => {
      try {
        requireClientAccess(ctx.principal, args.input.clientId);
        const result = await ctx.orders.placeOrder(args.input, ctx.deadlineAt);
        orderOutcomes.inc({ operation: 'placeOrder', code: result.error?.code ?? 'CONFIRMED' });
        return result;
      } catch (error) {
        orderOutcomes.inc({ operation: 'placeOrder', code: codeOf(error) });
        throw error;
      }
    },
    cancelOrder: async (_: unknown, args: { id: string }, ctx: OrdersContext) => {
      try {
        // before the lookup, so an anonymous caller learns nothing about which orders exist
        requireAuthenticated(ctx.principal);
        const order = await ctx.orders.cancelOrder(args.id, (found) => requireClientAccess(ctx.principal, found.client?.id ?? ''));
        orderOutcomes.inc({ operation: 'cancelOrder', code: 'CANCELLED' });
        return order;
      } catch (error) {
        orderOutcomes.inc({ operation: 'cancelOrder', code: codeOf(error) });
        throw error;
      }
    },
    registerClient: (_: unknown, args: { input: { name: string; city: string; email: string } }, ctx: OrdersContext) =>
      ctx.orders.registerClient(args.input),
    moveClient: (_: unknown, args: { id: string; city: string }, ctx: OrdersContext) => {
      requireAdmin(ctx.principal, 'Moving a client');
      return ctx.orders.moveClient(args.id, args.city);
    },
  },
};
