/**
 * Resolvers of the orders subgraph: thin adapters from GraphQL arguments to the order service.
 */
import type { PaymentMethod } from '../../lib/twopc/work.ts';
import type { OrderService, PlaceOrderInput } from './order-service.ts';

export interface OrdersContext {
  orders: OrderService;
}

export const ordersResolvers = {
  Mutation: {
    placeOrder: (_: unknown, args: { input: PlaceOrderInput & { paymentMethod?: PaymentMethod | null } }, ctx: OrdersContext) =>
      ctx.orders.placeOrder(args.input),
    cancelOrder: (_: unknown, args: { id: string }, ctx: OrdersContext) => ctx.orders.cancelOrder(args.id),
    registerClient: (_: unknown, args: { input: { name: string; city: string; email: string } }, ctx: OrdersContext) =>
      ctx.orders.registerClient(args.input),
    moveClient: (_: unknown, args: { id: string; city: string }, ctx: OrdersContext) => ctx.orders.moveClient(args.id, args.city),
  },
};
