/**
 * The simulated world of the order protocol: the coordinator, driven by the same state machine as
 * the real one (lib/twopc/machine/order-machine.ts), three sites with durable state, the payment
 * provider with its ledger, each site's outbox relay, a network that delays, loses, duplicates
 * and reorders messages, crashes and restarts of every process, and timers that fire early or
 * late. Every choice comes from one seeded PRNG and time is simulated: a seed is a schedule, and
 * replays exactly.
 */
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import type { ParticipantWork } from '../../lib/twopc/work.ts';
import { lockPlan } from '../../subgraphs/orders/concurrency-control.ts';
import {
  abandonedState, describeAction, describeEvent, isDone, newOrder, resume, settleState, step,
  DIRECTORY, type MachineConfig, type OrderAction, type Participant, type OrderEvent, type OrderReply, type OrderState, type PlantedDefects,
} from '../../lib/twopc/machine/order-machine.ts';
import { EventQueue } from './event-queue.ts';
import { SimParticipant, type StockDelta } from './participant.ts';
import { Prng } from './prng.ts';
import { SimProvider } from './provider.ts';

/** Simulated time is in ticks (think milliseconds); these are the protocol's and the world's constants. */
export const WORLD = {
  /** Faults happen until then; then the network heals and every process is up again. */
  horizon: 300,
  end: 1_200,
  rpcTimeout: 14,
  minDelay: 1,
  maxDelay: 6,
  /** A slow share's work before its PREPARE (see shareWork). */
  maxShareWork: 12,
  /** A slow message, long enough to outlive a call's timeout. */
  slowDelay: 30,
  budget: 90,
  lease: 130,
  inDoubt: 60,
  recoveryEvery: 40,
  relayEvery: 8,
  retention: 200,
  price: 10,
} as const;

/** The simulated world has sites only: no order has a share in the coordinator's directory. */
function simulated(participant: Participant): SiteId {
  if (participant === DIRECTORY) throw new Error('the simulated world has no directory branch');
  return participant;
}

const TIMER_BASE: Readonly<Record<'retry' | 'authorize' | 'intent' | 'phase2', number>> = { retry: 6, authorize: 6, intent: 12, phase2: 6 };

export interface Coverage {
  retries: number;
  fences: number;
  inDoubt: number;
  takeovers: number;
  recoveredCommit: number;
  recoveredAbort: number;
  abandoned: number;
  crashes: number;
}

export interface Request {
  index: number;
  clientId: number;
  clientSite: SiteId;
  key: string | null;
  items: readonly { productId: number; quantity: number }[];
  method: string;
  fingerprint: string;
  at: number;
}

export interface ReplyRecord {
  request: Request;
  orderId: string;
  reply: OrderReply;
  at: number;
}

interface Machine {
  state: OrderState;
  request: Request | null;
  /** A recovery machine: the gid or order it settles, so one pass does not start it twice. */
  recoveryKey: string | null;
}

interface AttemptPlan {
  orderId: string;
  clientId: number;
  key: string | null;
  amount: number;
  shares: Map<SiteId, StockDelta>;
  local: StockDelta;
  lines: Map<SiteId, StockDelta>;
}

export interface WorldOptions {
  seed: number;
  defects?: PlantedDefects;
  trace?: boolean;
}

export class World {
  readonly rng: Prng;
  readonly queue = new EventQueue();
  now = 0;
  readonly sites: Record<SiteId, SimParticipant>;
  readonly provider: SimProvider;
  readonly config: MachineConfig;
  readonly requests: Request[] = [];
  readonly replies: ReplyRecord[] = [];
  readonly trace: string[] | null;
  readonly products = [1, 2];
  /** `${site}/${gid}` of every prepare whose answer the coordinator stopped waiting for. */
  readonly unansweredPrepares = new Set<string>();
  coordinatorUp = true;
  coordinatorEpoch = 0;
  private readonly machines = new Map<number, Machine>();
  private nextMachine = 0;
  private nextOrder = 0;
  private nextGid = 0;
  private readonly plans = new Map<string, AttemptPlan>();
  private readonly relayInFlight = new Map<SiteId, number>();
  private loss: number;
  private dup: number;
  private slow: number;
  steps = 0;
  /** What the schedule went through, to show the sweep reaches the interesting paths. */
  readonly coverage: Coverage = { retries: 0, fences: 0, inDoubt: 0, takeovers: 0, recoveredCommit: 0, recoveredAbort: 0, abandoned: 0, crashes: 0 };

  constructor(options: WorldOptions) {
    this.rng = new Prng(options.seed);
    this.trace = options.trace ? [] : null;
    this.config = { maxAttempts: 4, authorizeAttempts: 3, commitRetries: 3, defects: options.defects };
    this.sites = { dakar: new SimParticipant('dakar'), thies: new SimParticipant('thies'), 'saint-louis': new SimParticipant('saint-louis') };
    this.provider = new SimProvider(options.defects?.defect5 === true);
    const rng = this.rng;
    this.loss = rng.pick([0, 0.02, 0.05, 0.1]);
    this.dup = rng.pick([0, 0.02, 0.05]);
    this.slow = rng.pick([0, 0.03, 0.08]);
    for (const site of SITE_IDS) {
      for (const p of this.products) {
        const q = rng.int(0, 3);
        this.sites[site].stock.set(p, q);
        this.sites[site].initial.set(p, q);
      }
    }
    this.planWorkload();
    this.planFaults();
  }

  private log(line: string): void {
    this.trace?.push(`${String(this.now).padStart(5)} ${line}`);
  }

  private at(delay: number, run: () => void): void {
    this.queue.push(this.now + delay, run);
  }

  private delay(): number {
    return this.rng.chance(this.slow) ? this.rng.int(WORLD.rpcTimeout, WORLD.slowDelay) : this.rng.int(WORLD.minDelay, WORLD.maxDelay);
  }

  /**
   * How long a share's work takes where it arrives, before its PREPARE: most often nothing, but
   * now and then a lock wait or a standby slow to flush, long enough for calls sent after it to be
   * served first.
   */
  private shareWork(): number {
    return this.rng.chance(0.3) ? this.rng.int(1, WORLD.maxShareWork) : 0;
  }

  /** A timer of `base` ticks that may fire early or late (0.5× to 1.5×). */
  private jitter(base: number): number {
    return Math.max(1, Math.round(base * (0.5 + this.rng.next())));
  }

  /** One message: maybe lost, maybe delivered twice, each copy after its own delay (so reordered). */
  private send(deliver: () => void): void {
    if (this.rng.chance(this.loss)) return;
    this.at(this.delay(), deliver);
    if (this.rng.chance(this.dup)) this.at(this.delay(), deliver);
  }

  // --- workload and faults ---------------------------------------------------------------------

  private planWorkload(): void {
    const rng = this.rng;
    const count = rng.int(2, 4);
    for (let index = 0; index < count; index++) {
      const previous = this.requests.filter((r) => r.key !== null);
      let request: Request;
      if (previous.length > 0 && rng.chance(0.2)) {
        // the same keyed request again, racing the first one (a double click, a retrying client)
        const same = rng.pick(previous);
        const reused = rng.chance(0.25);
        const items = reused ? [{ productId: 1, quantity: 9 }] : same.items;
        request = { ...same, index, items, fingerprint: fingerprintOf(same.clientId, items, same.method), at: rng.int(0, 100) };
      } else {
        const clientId = rng.int(1, 3);
        const items = rng.chance(0.5)
          ? [{ productId: rng.pick(this.products), quantity: rng.int(1, 3) }]
          : [{ productId: 1, quantity: rng.int(1, 2) }, { productId: 2, quantity: rng.int(1, 2) }];
        const method = rng.chance(0.08) ? 'DECLINED' : rng.pick(['WAVE', 'CARD']);
        request = {
          index, clientId, clientSite: SITE_IDS[clientId - 1]!, key: rng.chance(0.75) ? `k${index}` : null,
          items, method, fingerprint: fingerprintOf(clientId, items, method), at: rng.int(0, 80),
        };
      }
      this.requests.push(request);
      this.queue.push(request.at, () => this.submit(request, 1));
    }
  }

  private planFaults(): void {
    const rng = this.rng;
    const crashes = (p: number, crash: () => void, restart: () => void) => {
      let t = 0;
      while (t < WORLD.horizon && rng.chance(p)) {
        t = rng.int(t, WORLD.horizon - 1);
        const down = rng.int(5, 90);
        this.queue.push(t, crash);
        this.queue.push(Math.min(t + down, WORLD.horizon), restart);
        t += down;
      }
    };
    crashes(0.35, () => this.crashCoordinator(), () => this.restartCoordinator());
    for (const site of SITE_IDS) crashes(0.2, () => this.crashSite(site), () => this.restartSite(site));
    crashes(0.25, () => this.crashProvider(), () => this.restartProvider());
    this.queue.push(WORLD.horizon, () => this.heal());
    for (const site of SITE_IDS) this.queue.push(rng.int(0, WORLD.relayEvery), () => this.relayTick(site, this.sites[site].epoch));
    this.queue.push(rng.int(0, WORLD.recoveryEvery), () => this.recoveryTick(this.coordinatorEpoch));
  }

  private crashCoordinator(): void {
    if (!this.coordinatorUp) return;
    this.log('CRASH coordinator');
    this.coverage.crashes++;
    this.coordinatorUp = false;
    this.coordinatorEpoch++;
    this.machines.clear();
  }

  private restartCoordinator(): void {
    if (this.coordinatorUp) return;
    this.log('RESTART coordinator');
    this.coordinatorUp = true;
    const epoch = this.coordinatorEpoch;
    this.recover();
    this.at(WORLD.recoveryEvery, () => this.recoveryTick(epoch));
  }

  private crashSite(site: SiteId): void {
    const p = this.sites[site];
    if (!p.up) return;
    this.log(`CRASH ${site}`);
    this.coverage.crashes++;
    p.up = false;
    p.epoch++;
    this.relayInFlight.delete(site);
  }

  private restartSite(site: SiteId): void {
    const p = this.sites[site];
    if (p.up) return;
    this.log(`RESTART ${site}`);
    p.up = true;
    const epoch = p.epoch;
    this.at(1, () => this.relayTick(site, epoch));
  }

  private crashProvider(): void {
    if (!this.provider.up) return;
    this.log('CRASH provider');
    this.coverage.crashes++;
    this.provider.up = false;
    this.provider.epoch++;
  }

  private restartProvider(): void {
    if (this.provider.up) return;
    this.log('RESTART provider');
    this.provider.restart();
  }

  private heal(): void {
    this.log('HEAL network and processes');
    this.loss = 0;
    this.dup = 0;
    this.slow = 0;
    this.restartCoordinator();
    for (const site of SITE_IDS) this.restartSite(site);
    this.restartProvider();
  }

  // --- callers ---------------------------------------------------------------------------------

  private submit(request: Request, tries: number): void {
    if (this.now >= WORLD.end - WORLD.budget * 3) return;
    const retry = () => {
      // only a keyed request is retried: without a key a retry would be another order
      if (request.key !== null && tries < 4) this.at(this.jitter(40), () => this.submit(request, tries + 1));
    };
    if (!this.coordinatorUp) {
      this.log(`caller #${request.index} finds the coordinator down`);
      retry();
      return;
    }
    const amount = request.items.reduce((sum, i) => sum + i.quantity * WORLD.price, 0);
    const state = newOrder({
      orderId: `o${++this.nextOrder}`, clientId: request.clientId, key: request.key, fingerprint: request.fingerprint,
      amount, method: request.method, clientSite: request.clientSite,
    });
    const id = this.nextMachine++;
    this.machines.set(id, { state, request, recoveryKey: null });
    this.log(`caller #${request.index} places order ${state.request.orderId} (try ${tries}, key ${request.key ?? '-'})`);
    const epoch = this.coordinatorEpoch;
    let answered = false;
    this.at(WORLD.budget, () => this.drive(id, { type: 'deadline' }, epoch));
    // the caller's own timeout: no answer (the coordinator crashed) is an unknown outcome
    this.at(WORLD.budget + 2 * WORLD.rpcTimeout + 10, () => {
      if (!answered) retry();
      answered = true;
    });
    this.callerRetry.set(id, (reply) => {
      if (answered) return;
      answered = true;
      if (!reply.ok && reply.code === 'SITE_UNAVAILABLE') retry();
    });
    this.drive(id, { type: 'start' }, epoch);
  }

  private readonly callerRetry = new Map<number, (reply: OrderReply) => void>();

  // --- the coordinator: machines and their actions -------------------------------------------

  private drive(id: number, event: OrderEvent, epoch: number): void {
    if (epoch !== this.coordinatorEpoch || !this.coordinatorUp) return;
    const machine = this.machines.get(id);
    if (!machine) return;
    this.steps++;
    const before = machine.state.phase.name;
    const { state, actions } = step(machine.state, event, this.config);
    machine.state = state;
    this.count(before, event, state, actions);
    if (this.trace) {
      this.log(`m${id} ${state.request.orderId.slice(0, 24)} ${before} <- ${describeEvent(event)} => ${state.phase.name}`);
      for (const a of actions) this.log(`m${id}   ${describeAction(a)}`);
    }
    for (const action of actions) this.perform(id, machine, action, epoch);
    if (isDone(machine.state)) this.machines.delete(id);
  }

  private count(before: string, event: OrderEvent, state: OrderState, actions: readonly OrderAction[]): void {
    const c = this.coverage;
    const after = state.phase.name;
    if (after === 'waiting-retry' && before !== after) c.retries++;
    else if (after === 'fencing' && before !== after) c.fences++;
    else if (before === 'fencing' && event.type === 'decide-unknown') c.inDoubt++;
    else if (event.type === 'intent' && event.outcome === 'TAKEN_OVER') c.takeovers++;
    else if (before === 'settling') {
      for (const a of actions) {
        if (a.type === 'commit-prepared') c.recoveredCommit++;
        if (a.type === 'rollback-prepared') c.recoveredAbort++;
      }
    }
  }

  /**
   * One call: the request, `handle` run where it arrives, the answer back — or `unknown` once the
   * caller's timeout fires first. `working` ticks pass between the arrival and `handle` (a share's
   * statements and lock waits before its PREPARE), during which other calls are served.
   */
  private rpc<T>(id: number, target: { up: boolean; epoch?: number }, handle: () => T, ok: (value: T) => OrderEvent, unknown: OrderEvent, working = 0): void {
    const epoch = this.coordinatorEpoch;
    let settled = false;
    this.at(this.jitter(WORLD.rpcTimeout), () => {
      if (settled) return;
      settled = true;
      if (unknown.type === 'prepare-unknown') this.unansweredPrepares.add(`${unknown.site}/${unknown.gid}`);
      this.drive(id, unknown, epoch);
    });
    const serve = () => {
      if (!target.up) return;
      const value = handle();
      this.send(() => {
        if (settled) return;
        settled = true;
        this.drive(id, ok(value), epoch);
      });
    };
    this.send(() => {
      if (working === 0) return serve();
      if (!target.up) return;
      // a crash in between loses the work, which nothing had made durable
      const arrived = target.epoch;
      this.at(working, () => {
        if (target.epoch === arrived) serve();
      });
    });
  }

  private perform(id: number, machine: Machine, action: OrderAction, epoch: number): void {
    const order = machine.state.request;
    switch (action.type) {
      case 'claim-intent': {
        const site = this.sites[action.site];
        const req = machine.request!;
        this.rpc(id, site, () => site.claimIntent({
          orderId: action.orderId, clientId: req.clientId, key: req.key, fingerprint: req.fingerprint,
          amount: order.amount, method: req.method, leaseUntil: this.now + WORLD.lease, holder: epoch,
        }, this.now), (answer): OrderEvent => ({ type: 'intent', ...answer }), { type: 'intent-unknown' });
        return;
      }
      case 'authorize': {
        const provider = this.provider;
        this.rpc(id, provider, () => provider.authorize(action.key, action.orderId, action.amount, action.method),
          (answer): OrderEvent => (answer.approved ? { type: 'authorized', reference: answer.reference, status: answer.status } : { type: 'declined' }),
          { type: 'authorize-unknown' });
        return;
      }
      case 'plan-attempt': {
        const event = this.plan(machine, action.attempt);
        this.at(1, () => this.drive(id, event, epoch));
        return;
      }
      case 'prepare': {
        const site = this.sites[simulated(action.site)];
        const plan = this.plans.get(action.gid)!;
        const deltas = plan.shares.get(simulated(action.site)) ?? [];
        this.rpc(id, site, () => site.prepare(action.gid, plan.orderId, deltas, this.now),
          (vote): OrderEvent => ({ type: 'voted', gid: action.gid, site: action.site, vote }),
          { type: 'prepare-unknown', gid: action.gid, site: action.site }, this.shareWork());
        return;
      }
      case 'commit-local': {
        const site = this.sites[action.site];
        const plan = this.plans.get(action.gid)!;
        const record = { orderId: plan.orderId, clientId: plan.clientId, key: plan.key, lines: plan.lines, reference: action.reference!, amount: plan.amount };
        this.rpc(id, site, () => site.commitLocal(action.gid, record, plan.local, action.outbox, this.now),
          (vote): OrderEvent => ({ type: 'local-committed', gid: action.gid, vote }), { type: 'local-unknown', gid: action.gid });
        return;
      }
      case 'decide': {
        const site = this.sites[action.site];
        this.rpc(id, site, () => site.decide(action.gid, action.decision, this.now),
          (decision): OrderEvent => ({ type: 'decided', gid: action.gid, decision }), { type: 'decide-unknown', gid: action.gid });
        return;
      }
      case 'ask-decision': {
        const site = this.sites[action.site];
        this.rpc(id, site, () => site.decisionOf(action.gid),
          (decision): OrderEvent => ({ type: 'decided', gid: action.gid, decision }), { type: 'decide-unknown', gid: action.gid });
        return;
      }
      case 'commit-prepared':
      case 'rollback-prepared': {
        const site = this.sites[simulated(action.site)];
        const verb = action.type === 'commit-prepared' ? 'COMMIT' : 'ROLLBACK';
        this.rpc(id, site, () => site.finish(action.gid, verb),
          (): OrderEvent => ({ type: 'finished', gid: action.gid, site: action.site }), { type: 'finish-unknown', gid: action.gid, site: action.site });
        return;
      }
      case 'finalize': {
        const site = this.sites[action.site];
        this.rpc(id, site, () => site.finalize(action.orderId, action.code, action.voidPayment, action.reference, order.amount),
          (status): OrderEvent => ({ type: 'finalized', status }), { type: 'finalize-unknown' });
        return;
      }
      case 'capture-now':
      case 'void-now': {
        const provider = this.provider;
        const verb = action.type === 'capture-now' ? 'capture' : 'void';
        this.send(() => {
          if (provider.up) provider.transition(action.reference, verb);
        });
        return;
      }
      case 'relay-payments':
      case 'flag-payment':
        // recovery's payment check reads a site's database rows; the simulated relay runs on its own
        return;
      case 'set-timer':
        this.at(this.jitter(TIMER_BASE[action.name] * (action.name === 'retry' ? 2 ** action.attempt : 1)), () => this.drive(id, { type: 'timer', name: action.name }, epoch));
        return;
      case 'reply': {
        if (!machine.request) return;
        this.replies.push({ request: machine.request, orderId: machine.state.request.orderId, reply: action.reply, at: this.now });
        this.log(`caller #${machine.request.index} told ${action.reply.ok ? `CONFIRMED ${action.reply.orderId}` : action.reply.code}`);
        this.callerRetry.get(id)?.(action.reply);
        return;
      }
    }
  }

  /** The reads and the allocation of an attempt (outside the machine), then its gid and lock plan. */
  private plan(machine: Machine, attempt: number): OrderEvent {
    const request = machine.request!;
    const home = request.clientSite;
    if (!this.sites[home].up) return { type: 'plan-refused', code: 'SITE_UNAVAILABLE' };
    const order = [home, ...SITE_IDS.filter((s) => s !== home)];
    const shares = new Map<SiteId, { productId: number; delta: number }[]>();
    const lines = new Map<SiteId, { productId: number; delta: number }[]>();
    for (const item of request.items) {
      let left = item.quantity;
      for (const site of order) {
        if (left === 0) break;
        if (!this.sites[site].up) continue;
        const take = Math.min(left, this.sites[site].stock.get(item.productId) ?? 0);
        if (take === 0) continue;
        left -= take;
        if (!shares.has(site)) shares.set(site, []);
        shares.get(site)!.push({ productId: item.productId, delta: -take });
      }
      if (left > 0) return { type: 'plan-refused', code: 'OUT_OF_STOCK' };
    }
    for (const [site, deltas] of shares) lines.set(site, deltas.map((d) => ({ ...d })));
    const orderId = machine.state.request.orderId;
    const gid = `tg:order:${orderId}.${attempt}.${++this.nextGid}:${home}`;
    const works = new Map<SiteId, ParticipantWork>();
    for (const site of new Set<SiteId>([home, ...shares.keys()])) {
      works.set(site, { gid, orderId: null, motif: 'COMMANDE', stock: (shares.get(site) ?? []).map((d) => ({ productId: d.productId, delta: d.delta })) });
    }
    const lock = lockPlan('locking', home, works, attempt);
    const split = lock.prepareRounds.some((round) => round.includes(home));
    const local = split ? [] : shares.get(home) ?? [];
    if (!split) shares.delete(home);
    this.plans.set(gid, { orderId, clientId: request.clientId, key: request.key, amount: machine.state.request.amount, shares, local, lines });
    return { type: 'planned', gid, rounds: lock.prepareRounds };
  }

  // --- recovery and relay ----------------------------------------------------------------------

  private recoveryTick(epoch: number): void {
    if (epoch !== this.coordinatorEpoch || !this.coordinatorUp || this.now >= WORLD.end) return;
    this.recover();
    this.at(WORLD.recoveryEvery, () => this.recoveryTick(epoch));
  }

  /** Rebuilds machines from what the sites hold durably and steps them with the same function. */
  private recover(): void {
    const running = new Set([...this.machines.values()].map((m) => m.recoveryKey).filter((k): k is string => k !== null));
    const epoch = this.coordinatorEpoch;
    const start = (key: string, state: OrderState) => {
      if (running.has(key)) return;
      running.add(key);
      const id = this.nextMachine++;
      const machine: Machine = { state, request: null, recoveryKey: key };
      this.machines.set(id, machine);
      this.log(`m${id} recovery: ${state.phase.name} ${key}`);
      for (const action of resume(state)) this.perform(id, machine, action, epoch);
    };
    let allUp = true;
    const keep = new Set<string>();
    for (const site of SITE_IDS) {
      const p = this.sites[site];
      if (!p.up) {
        allUp = false;
        continue;
      }
      for (const [gid, tx] of p.prepared) {
        keep.add(gid);
        const decisionSite = gid.slice(gid.lastIndexOf(':') + 1) as SiteId;
        start(`${site}/${gid}`, settleState(gid, site, decisionSite, this.now - tx.preparedAt > WORLD.inDoubt));
      }
      for (const orderId of p.expiredIntents(this.now)) this.coverage.abandoned += running.has(`intent/${orderId}`) ? 0 : 1;
      for (const orderId of p.expiredIntents(this.now)) start(`intent/${orderId}`, abandonedState(orderId, site));
    }
    if (allUp) for (const site of SITE_IDS) this.sites[site].prune(keep, this.now, WORLD.retention);
  }

  private relayTick(site: SiteId, epoch: number): void {
    const p = this.sites[site];
    if (!p.up || epoch !== p.epoch || this.now >= WORLD.end) return;
    this.at(WORLD.relayEvery, () => this.relayTick(site, epoch));
    if (this.relayInFlight.has(site)) return;
    const row = p.nextOutbox();
    if (!row) return;
    this.relayInFlight.set(site, row.id);
    const provider = this.provider;
    let settled = false;
    this.at(this.jitter(WORLD.rpcTimeout), () => {
      if (settled || epoch !== p.epoch) return;
      settled = true;
      if (this.relayInFlight.get(site) === row.id) this.relayInFlight.delete(site);
    });
    this.send(() => {
      if (!provider.up) return;
      const answer = row.reference !== null
        ? provider.transition(row.reference, row.operation === 'CAPTURE' ? 'capture' : 'void')
        : provider.voidByOrder(row.orderId, row.amount);
      this.send(() => {
        if (settled || epoch !== p.epoch || !p.up) return;
        settled = true;
        this.relayInFlight.delete(site);
        p.settleOutbox(row, answer === 'OK');
        this.log(`relay ${site}: ${row.operation} ${row.orderId} ${answer}`);
      });
    });
  }

  /** Runs the schedule to its end. */
  run(): this {
    for (;;) {
      const entry = this.queue.pop();
      if (!entry || entry.at > WORLD.end) break;
      this.now = entry.at;
      entry.run();
    }
    return this;
  }
}

/** The request's canonical form (the real one hashes it, lib/twopc/intent.ts). */
export function fingerprintOf(clientId: number, items: readonly { productId: number; quantity: number }[], method: string): string {
  const merged = new Map<number, number>();
  for (const i of items) merged.set(i.productId, (merged.get(i.productId) ?? 0) + i.quantity);
  return `${clientId}|${[...merged].sort((a, b) => a[0] - b[0]).map(([p, q]) => `${p}x${q}`).join(',')}|${method}`;
}
