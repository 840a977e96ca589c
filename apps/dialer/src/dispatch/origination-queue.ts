import { AriError } from '@parley/ari-client';
import { type DispatchMessage, ErrorCodes, type HangupRequester, isTerminalStatus } from '@parley/common';
import type { CallsRepository, TrunkForDialing, TrunksRepository } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { JsMsg } from 'nats';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { TrunkCapacity } from '../trunks/trunk-capacity';
import type { Originator } from './originator';

/** None of the trunk's Asterisks is connected: the call stays queued and its message comes back later. */
export class AsteriskUnavailableError extends Error {
  constructor(names: string) {
    super(`no Asterisk carrying the trunk is connected (${names}); the call stays queued and is retried`);
  }
}

export class DialerStoppingError extends Error {
  constructor() {
    super('dialer is shutting down; the call goes back to the dispatch queue');
  }
}

type Ticket =
  | { kind: 'granted'; delayMs: number }
  | { kind: 'canceled'; by: HangupRequester }
  | { kind: 'failed'; errorCode: string; message: string };

interface Waiting {
  dispatch: DispatchMessage;
  trunk: TrunkForDialing;
  settle: (ticket: Ticket) => void;
  abort: (err: Error) => void;
}

/** A dispatched call from its message's arrival until LiveCalls tracks it (or it ends without ringing). */
interface Pending {
  canceledBy: HangupRequester | null;
  /** Set while it waits for a slot in its trunk's queue. */
  waiting: Waiting | null;
}

const WORKING_EVERY_MS = 10_000;
/** How long a hang-up command for a call not seen yet is kept, for its dispatch message arriving after it. */
const EARLY_CANCEL_TTL_MS = 10 * 60_000;

/**
 * Dispatched calls on their way to Asterisk. Each waits in its trunk's queue (first in, first out, across dialers:
 * see TrunkCapacity) until it gets a slot, then is originated at the time its slot was paced for. The JetStream
 * message stays unacknowledged (kept alive with `working()`) until the call reached Asterisk or ended without it, so
 * a dialer that dies hands its queued calls to another one.
 *
 * The call's row is read once, when its message arrives (with its trunk, in one round trip): a redelivered message of
 * a call that already ran, or of one canceled while no dialer listened, is dropped there. From then on a cancel comes
 * as the api's hang-up command (`cancel`), whether the call waits for a slot, waits for its paced start, or has not
 * even arrived yet (the command is kept for its message).
 */
export class OriginationQueue {
  private readonly queues = new Map<string, Map<string, Waiting>>();
  private readonly pumping = new Map<string, { dirty: boolean }>();
  private readonly pending = new Map<string, Pending>();
  /** Hang-up commands for calls not seen yet, oldest first. */
  private readonly canceledEarly = new Map<string, { by: HangupRequester; atMs: number }>();
  private poll: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      originator: Originator;
      capacity: TrunkCapacity;
      calls: CallsRepository;
      trunks: TrunksRepository;
      metrics: DialerMetrics;
      logger: Logger;
      pollMs: number;
    },
  ) {}

  start(): void {
    this.deps.capacity.onFreed((trunkId) => this.pump(trunkId));
    this.poll = setInterval(() => {
      for (const trunkId of this.queues.keys()) this.pump(trunkId);
    }, this.deps.pollMs);
    this.poll.unref();
  }

  get waitingCount(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** The call's dispatch message is here and the call is not handed to Asterisk yet. */
  has(callId: string): boolean {
    return this.pending.has(callId);
  }

  /**
   * A hang-up command for a call that is not tracked as live. A call held here is canceled (at once when it waits
   * for a slot, else at its next step) and true returned; a call not seen yet is remembered, so that its dispatch
   * message, if it comes, ends it without ringing; false then (another dialer may hold it).
   */
  cancel(callId: string, by: HangupRequester): boolean {
    const p = this.pending.get(callId);
    if (!p) {
      this.rememberEarlyCancel(callId, by);
      return false;
    }
    p.canceledBy ??= by;
    p.waiting?.settle({ kind: 'canceled', by: p.canceledBy });
    return true;
  }

  private rememberEarlyCancel(callId: string, by: HangupRequester): void {
    const now = Date.now();
    for (const [id, c] of this.canceledEarly) {
      if (now - c.atMs < EARLY_CANCEL_TTL_MS) break;
      this.canceledEarly.delete(id);
    }
    this.canceledEarly.delete(callId);
    this.canceledEarly.set(callId, { by, atMs: now });
  }

  /** Handles one dispatch message; resolves when it can be acknowledged, throws to have it redelivered. */
  async submit(dispatch: DispatchMessage, msg?: JsMsg): Promise<void> {
    if (this.stopping) throw new DialerStoppingError();
    // A hang-up command that came first cancels it, once its row says it is still queued.
    const pending: Pending = { canceledBy: this.canceledEarly.get(dispatch.call_id)?.by ?? null, waiting: null };
    this.canceledEarly.delete(dispatch.call_id);
    this.pending.set(dispatch.call_id, pending);
    try {
      await this.dispatch(dispatch, pending, msg);
    } finally {
      if (this.pending.get(dispatch.call_id) === pending) this.pending.delete(dispatch.call_id);
    }
  }

  private async dispatch(dispatch: DispatchMessage, pending: Pending, msg: JsMsg | undefined): Promise<void> {
    const { originator, capacity, logger } = this.deps;
    const { status, trunk } = await this.deps.calls.findForDispatch(dispatch.account_id, dispatch.call_id, dispatch.trunk_id);
    if (status === null) {
      logger.warn({ call_id: dispatch.call_id }, 'dispatched call has no row; dropped');
      return;
    }
    if (status !== 'queued') {
      logger.info({ call_id: dispatch.call_id, status }, 'dispatched call is no longer queued; skipped');
      // A dialer that died after taking a slot for it may have left the slot behind.
      if (isTerminalStatus(status)) await capacity.release(dispatch.call_id);
      return;
    }
    if (pending.canceledBy) return originator.cancelQueued(dispatch, pending.canceledBy);
    if (!trunk) return originator.fail(dispatch, ErrorCodes.trunkNotFound, `trunk ${dispatch.trunk_id} does not exist`);
    const carriers = originator.carriersOf(trunk);
    if (carriers.length === 0) {
      const named = trunk.asterisks.length > 0 ? ` (it names ${trunk.asterisks.join(', ')}, none of them registered)` : '';
      return originator.fail(dispatch, ErrorCodes.noAsteriskAvailable, `no Asterisk carries trunk ${trunk.id}${named}: register one with \`pnpm parley asterisks add\`, or set ARI_URL`);
    }
    // Without an events WebSocket we would not hear what happens to the call: wait for one of its Asterisks.
    const connected = carriers.filter((c) => c.isConnected);
    if (connected.length === 0) throw new AsteriskUnavailableError(carriers.map((c) => c.name).join(', '));

    const fresh = await capacity.enqueue(dispatch.call_id, trunk.id, new Date(dispatch.created_at));
    if (!fresh) {
      // It holds an active slot already: originated by a dialer that died before acknowledging, on one of these.
      const found = await Promise.all(
        connected.map((conn) =>
          conn.client.channels.get(dispatch.call_id).then(
            () => true,
            (err) => (err instanceof AriError && err.isNotFound ? false : Promise.reject(err)),
          ),
        ),
      );
      if (found.some(Boolean)) {
        logger.info({ call_id: dispatch.call_id }, 'dispatched call is already ringing; left to channel adoption');
        return;
      }
      await capacity.occupy(dispatch.call_id, trunk.id, 'outbound');
      await this.originateUnlessCanceled(dispatch, pending, trunk, 0);
      return;
    }

    // Canceled while its place was taken: it leaves before asking for a slot.
    const ticket = pending.canceledBy ? ({ kind: 'canceled', by: pending.canceledBy } as const) : await this.wait(dispatch, pending, trunk, msg);
    if (ticket.kind === 'canceled') {
      await capacity.release(dispatch.call_id);
      await originator.cancelQueued(dispatch, ticket.by);
      return;
    }
    if (ticket.kind === 'failed') {
      await capacity.release(dispatch.call_id);
      await originator.fail(dispatch, ticket.errorCode, ticket.message);
      return;
    }
    await this.originateUnlessCanceled(dispatch, pending, trunk, ticket.delayMs);
  }

  private async originateUnlessCanceled(dispatch: DispatchMessage, pending: Pending, trunk: TrunkForDialing, delayMs: number): Promise<void> {
    const { originator, capacity } = this.deps;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (pending.canceledBy) {
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
      await originator.cancelQueued(dispatch, pending.canceledBy);
      return;
    }
    const carriers = originator.carriersOf(trunk);
    if (!carriers.some((c) => c.isConnected)) {
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
      throw new AsteriskUnavailableError(carriers.map((c) => c.name).join(', ') || 'none');
    }
    if (!(await originator.originate(dispatch, trunk))) {
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
    }
  }

  private wait(dispatch: DispatchMessage, pending: Pending, trunk: TrunkForDialing, msg: JsMsg | undefined): Promise<Ticket> {
    let queue = this.queues.get(trunk.id);
    if (!queue) this.queues.set(trunk.id, (queue = new Map()));
    const q = queue;
    this.deps.metrics.queuedCalls.inc({ trunk_id: trunk.id });
    const keepAlive = msg ? setInterval(() => msg.working(), WORKING_EVERY_MS) : undefined;
    keepAlive?.unref();
    return new Promise<Ticket>((resolve, reject) => {
      const leave = () => {
        pending.waiting = null;
        clearInterval(keepAlive);
        if (q.delete(dispatch.call_id)) this.deps.metrics.queuedCalls.dec({ trunk_id: trunk.id });
        if (q.size === 0 && this.queues.get(trunk.id) === q) this.queues.delete(trunk.id);
      };
      const waiting: Waiting = {
        dispatch,
        trunk,
        settle: (ticket) => (leave(), resolve(ticket)),
        abort: (err) => (leave(), reject(err)),
      };
      pending.waiting = waiting;
      q.set(dispatch.call_id, waiting);
      this.pump(trunk.id);
    });
  }

  /** Asks TrunkCapacity for slots for this trunk's waiting calls (one run at a time per trunk, re-run if asked meanwhile). */
  pump(trunkId: string): void {
    const running = this.pumping.get(trunkId);
    if (running) {
      running.dirty = true;
      return;
    }
    const state = { dirty: true };
    this.pumping.set(trunkId, state);
    void (async () => {
      try {
        while (state.dirty && !this.stopping) {
          state.dirty = false;
          const q = this.queues.get(trunkId);
          if (!q || q.size === 0) break;
          const trunk = await this.deps.trunks.forDialing(trunkId);
          if (!trunk) {
            for (const w of [...q.values()]) w.settle({ kind: 'failed', errorCode: ErrorCodes.trunkNotFound, message: `trunk ${trunkId} was deleted while the call waited` });
            break;
          }
          const granted = await this.deps.capacity.grant(trunkId, trunk, [...q.keys()]);
          for (const g of granted) q.get(g.callId)?.settle({ kind: 'granted', delayMs: g.delayMs });
          // More may be grantable right away (the grant size is capped per run).
          if (granted.length > 0 && q.size > 0) state.dirty = true;
        }
      } catch (err) {
        this.deps.logger.error({ err, trunk_id: trunkId }, 'trunk capacity check failed');
      } finally {
        this.pumping.delete(trunkId);
      }
    })();
  }

  /** Stops taking calls; those still waiting go back to JetStream (their handler throws) and leave the trunk queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poll);
    const ids: string[] = [];
    for (const q of this.queues.values()) {
      for (const w of [...q.values()]) {
        ids.push(w.dispatch.call_id);
        w.abort(new DialerStoppingError());
      }
    }
    await this.deps.capacity.abandon(ids).catch((err: Error) => this.deps.logger.warn({ err }, 'could not give queued calls back'));
  }
}
