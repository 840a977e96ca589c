import { AriError } from '@parley/ari-client';
import { type CallStatus, type DispatchMessage, ErrorCodes, type HangupRequester, isTerminalStatus } from '@parley/common';
import type { TrunkEntity } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { JsMsg } from 'nats';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { Originator } from './originator';
import type { TrunkCapacity } from './trunk-capacity';

/** The trunk's Asterisk is not connected: the call stays queued and its message comes back later. */
export class AsteriskUnavailableError extends Error {
  constructor(name: string) {
    super(`Asterisk connection "${name}" is down; the call stays queued and is retried`);
  }
}

export class DialerStoppingError extends Error {
  constructor() {
    super('dialer is shutting down; the call goes back to the dispatch queue');
  }
}

type Ticket =
  | { kind: 'granted'; delayMs: number }
  /** Canceled by the api (in the row) while it waited. */
  | { kind: 'left'; status: string }
  | { kind: 'canceled'; by: HangupRequester }
  | { kind: 'failed'; errorCode: string; message: string };

interface Waiting {
  dispatch: DispatchMessage;
  trunk: TrunkEntity;
  settle: (ticket: Ticket) => void;
  abort: (err: Error) => void;
}

const WORKING_EVERY_MS = 10_000;
/** A granted call that waited longer than this for its paced start reads its status again. */
const RECHECK_AFTER_MS = 100;

/**
 * Dispatched calls on their way to Asterisk. Each waits in its trunk's queue (first in, first out, across dialers:
 * see TrunkCapacity) until it gets a slot, then is originated at the time its slot was paced for. The JetStream
 * message stays unacknowledged (kept alive with `working()`) until the call reached Asterisk or ended without it, so
 * a dialer that dies hands its queued calls to another one.
 */
export class OriginationQueue {
  private readonly queues = new Map<string, Map<string, Waiting>>();
  private readonly pumping = new Map<string, { dirty: boolean }>();
  private poll: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      originator: Originator;
      capacity: TrunkCapacity;
      metrics: DialerMetrics;
      logger: Logger;
      pollMs: number;
    },
  ) {}

  start(): void {
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

  has(callId: string): boolean {
    for (const q of this.queues.values()) if (q.has(callId)) return true;
    return false;
  }

  /** Cancels a call still waiting here (hang-up command before it was originated). */
  cancel(callId: string, by: HangupRequester): boolean {
    for (const q of this.queues.values()) {
      const w = q.get(callId);
      if (w) {
        w.settle({ kind: 'canceled', by });
        return true;
      }
    }
    return false;
  }

  /** Handles one dispatch message; resolves when it can be acknowledged, throws to have it redelivered. */
  async submit(dispatch: DispatchMessage, msg?: JsMsg): Promise<void> {
    if (this.stopping) throw new DialerStoppingError();
    const { originator, capacity, logger } = this.deps;
    const { status, trunk } = await originator.loadForDispatch(dispatch.call_id, dispatch.trunk_id);
    if (status === null) {
      logger.warn({ call_id: dispatch.call_id }, 'dispatched call has no row; dropped');
      return;
    }
    if (status !== 'queued') {
      logger.info({ call_id: dispatch.call_id, status }, 'dispatched call is no longer queued; skipped');
      // A dialer that died after taking a slot for it may have left the slot behind.
      if (isTerminalStatus(status as CallStatus)) await capacity.release(dispatch.call_id);
      return;
    }
    if (!trunk) return originator.fail(dispatch, ErrorCodes.trunkNotFound, `trunk ${dispatch.trunk_id} does not exist`);
    const conn = originator.connectionFor(trunk);
    if (!conn) return originator.fail(dispatch, ErrorCodes.originateFailed, `trunk ${trunk.id} is not a sandbox trunk and no Asterisk is configured (ARI_URL)`);
    // Without the events WebSocket we would not hear what happens to the call: wait for it.
    if (!conn.isConnected) throw new AsteriskUnavailableError(conn.name);

    const fresh = await capacity.enqueue(dispatch.call_id, trunk.id, new Date(dispatch.created_at));
    if (!fresh) {
      // It holds an active slot already: originated by a dialer that died before acknowledging.
      const exists = await conn.client.channels.get(dispatch.call_id).then(
        () => true,
        (err) => (err instanceof AriError && err.isNotFound ? false : Promise.reject(err)),
      );
      if (exists) {
        logger.info({ call_id: dispatch.call_id }, 'dispatched call is already ringing; left to channel adoption');
        return;
      }
      await capacity.occupy(dispatch.call_id, trunk.id, 'outbound');
      await this.originateIfStillQueued(dispatch, trunk, 0);
      return;
    }

    const ticket = await this.wait(dispatch, trunk, msg);
    if (ticket.kind === 'canceled') {
      await capacity.release(dispatch.call_id);
      await originator.cancelQueued(dispatch, ticket.by);
      return;
    }
    if (ticket.kind === 'left') {
      logger.info({ call_id: dispatch.call_id, status: ticket.status }, 'call left the queue before origination; skipped');
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
      return;
    }
    if (ticket.kind === 'failed') {
      await capacity.release(dispatch.call_id);
      await originator.fail(dispatch, ticket.errorCode, ticket.message);
      return;
    }
    await this.originateIfStillQueued(dispatch, trunk, ticket.delayMs);
  }

  private async originateIfStillQueued(dispatch: DispatchMessage, trunk: TrunkEntity, delayMs: number): Promise<void> {
    const { originator, capacity, logger } = this.deps;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    // The api cancels queued calls in the row directly. The grant checked the status; after a pacing wait, look again.
    const status = delayMs > RECHECK_AFTER_MS ? await originator.callStatus(dispatch.call_id) : 'queued';
    if (status !== 'queued') {
      logger.info({ call_id: dispatch.call_id, status }, 'call left the queue before origination; skipped');
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
      return;
    }
    const conn = originator.connectionFor(trunk);
    if (!conn?.isConnected) {
      await capacity.release(dispatch.call_id);
      this.pump(trunk.id);
      throw new AsteriskUnavailableError(conn?.name ?? 'none');
    }
    await originator.originate(dispatch, trunk, conn);
  }

  private wait(dispatch: DispatchMessage, trunk: TrunkEntity, msg: JsMsg | undefined): Promise<Ticket> {
    let queue = this.queues.get(trunk.id);
    if (!queue) this.queues.set(trunk.id, (queue = new Map()));
    const q = queue;
    this.deps.metrics.queuedCalls.inc({ trunk_id: trunk.id });
    const keepAlive = msg ? setInterval(() => msg.working(), WORKING_EVERY_MS) : undefined;
    keepAlive?.unref();
    return new Promise<Ticket>((resolve, reject) => {
      const leave = () => {
        clearInterval(keepAlive);
        if (q.delete(dispatch.call_id)) this.deps.metrics.queuedCalls.dec({ trunk_id: trunk.id });
        if (q.size === 0 && this.queues.get(trunk.id) === q) this.queues.delete(trunk.id);
      };
      q.set(dispatch.call_id, {
        dispatch,
        trunk,
        settle: (ticket) => (leave(), resolve(ticket)),
        abort: (err) => (leave(), reject(err)),
      });
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
          const trunk = await this.deps.originator.loadTrunk(trunkId);
          if (!trunk) {
            for (const w of [...q.values()]) w.settle({ kind: 'failed', errorCode: ErrorCodes.trunkNotFound, message: `trunk ${trunkId} was deleted while the call waited` });
            break;
          }
          const granted = await this.deps.capacity.grant(trunkId, trunk, [...q.keys()]);
          const left = await this.deps.originator.notQueued(granted.map((g) => g.callId));
          for (const g of granted) q.get(g.callId)?.settle(left.has(g.callId) ? { kind: 'left', status: 'not queued' } : { kind: 'granted', delayMs: g.delayMs });
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
