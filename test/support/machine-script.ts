/**
 * Drives the order machine through a script of events, recording every step: the shared helper
 * of the machine's unit tests and of its golden traces.
 */
import {
  describeAction, describeEvent, newOrder, resume, step,
  type MachineConfig, type OrderAction, type OrderEvent, type OrderRequest, type OrderState,
} from '../../lib/twopc/machine/order-machine.ts';

export const CONFIG: MachineConfig = { maxAttempts: 3, authorizeAttempts: 2, commitRetries: 1 };

export const REQUEST: OrderRequest = {
  orderId: 'order-1', clientId: 7, key: 'k-1', fingerprint: 'fp', amount: 5000, method: 'WAVE', clientSite: 'dakar',
};

export const GID1 = 'tg:order:attempt-1:dakar';
export const GID2 = 'tg:order:attempt-2:dakar';

export class Script {
  state: OrderState;
  readonly lines: string[] = [];
  last: OrderAction[] = [];

  constructor(state: OrderState = newOrder(REQUEST), readonly config: MachineConfig = CONFIG) {
    this.state = state;
    const first = resume(state);
    if (first.length > 0) this.record('(recovery)', first);
  }

  private record(what: string, actions: OrderAction[], before = this.state.phase.name): void {
    this.lines.push(`${before.padEnd(13)} --> ${this.state.phase.name.padEnd(13)} on ${what}`);
    for (const a of actions) this.lines.push(`${' '.repeat(34)}${describeAction(a)}`);
  }

  on(event: OrderEvent): OrderAction[] {
    const before = this.state.phase.name;
    const { state, actions } = step(this.state, event, this.config);
    this.state = state;
    this.last = actions;
    this.record(describeEvent(event), actions, before);
    return actions;
  }

  /** Runs events one after the other; returns the actions of the last. */
  run(...events: OrderEvent[]): OrderAction[] {
    let actions: OrderAction[] = [];
    for (const e of events) actions = this.on(e);
    return actions;
  }

  get phase(): string {
    return this.state.phase.name;
  }

  trace(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export const types = (actions: readonly OrderAction[]) => actions.map((a) => a.type);

/** The events that bring a new order to its first attempt's prepares (two shares: thies, saint-louis). */
export const toPrepares = (gid = GID1): OrderEvent[] => [
  { type: 'start' },
  { type: 'intent', outcome: 'NEW', orderId: 'order-1' },
  { type: 'authorized', reference: 'pay_1', status: 'AUTHORIZED' },
  { type: 'planned', gid, rounds: [['thies', 'saint-louis']] },
];
