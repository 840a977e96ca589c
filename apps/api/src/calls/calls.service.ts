import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import {
  CALL_REFUSED_FIELDS,
  type CallCreate,
  CallCreate as CallCreateSchema,
  type CallEvent,
  type CallEventType,
  type CallListQuery,
  DialerCommand,
  DialerCommandReply,
  DispatchMessage,
  ErrorCodes,
  type HangupBy,
  MediaAck,
  MediaReleaseRequest,
  isTerminalStatus,
  TIMELINE_OMITTED_EVENTS,
  WEB_CALL_CANCEL_CAUSES,
} from '@parley/common';
import { CallEntity, CallsRepository, type DataSource, WebCallTokensRepository } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger, Metrics } from '@parley/service-kit';
import { reserveForCall } from '../billing/credits';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { cursorAfter, list } from '../http/pagination';
import { parseOrThrow } from '../http/zod-error';
import { isUuid } from '../agents/agents.service';
import { Outbox } from '../outbox/outbox';
import { CallProjector } from './call-projector';
import { CallContexts } from './call-context';
import { newCallRow } from './call-row';
import { callView } from './call.view';
import { conversationSnapshot } from './conversation-snapshot';
import { DoNotCallService } from '../do-not-call/do-not-call.service';

@Injectable()
export class CallsService {
  private readonly created;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly calls: CallsRepository,
    private readonly webCallTokens: WebCallTokensRepository,
    private readonly outbox: Outbox,
    private readonly projector: CallProjector,
    private readonly contexts: CallContexts,
    private readonly doNotCall: DoNotCallService,
    private readonly bus: Bus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.created = metrics.counter('parley_calls_created_total', 'Calls created', ['direction']);
  }

  /** Validates the raw body: refused agent fields first (named in `param`), then the schema. */
  parseCreate(body: unknown): CallCreate;
  parseCreate<T>(body: unknown, schema: z.ZodType<T>): T;
  parseCreate(body: unknown, schema: z.ZodType = CallCreateSchema): unknown {
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      for (const field of CALL_REFUSED_FIELDS) {
        if (field in body) {
          throw new ApiError(400, ErrorCodes.parameterNotAllowed, `'${field}' belongs to the agent and cannot be set per call; update the agent or use another agent`, field);
        }
      }
    }
    return parseOrThrow(schema, body ?? undefined);
  }

  /**
   * Creates an outbound call: the row, its credit reservation, its idempotency record and its dispatch message are
   * written in one transaction; the message is published right after commit (the outbox relay covers a crash).
   */
  /** `campaignId`: the campaign placing the call (its calls carry it). */
  async create(accountId: string, input: CallCreate, idempotencyKey: string | null, campaignId?: string): Promise<{ call: CallEntity; replayed: boolean }> {
    const requestHash = idempotencyKey ? createHash('sha256').update(canonicalJson(input)).digest('hex') : null;
    if (idempotencyKey) {
      const replay = await this.findIdempotent(accountId, idempotencyKey, requestHash!);
      if (replay) return { call: replay, replayed: true };
    }
    const callId = newId.call();
    const { agent, account, from, doNotCall } = await this.contexts.get(accountId, input);
    // Only an account with a do-not-call list pays for the lookup (whether it has one is cached with the agent).
    if (doNotCall) await this.doNotCall.assertCallable(accountId, input.to);
    const call = newCallRow({
      id: callId,
      accountId,
      agent,
      trunkId: from.trunkId,
      direction: 'outbound',
      toNumber: input.to,
      fromNumber: from.number,
      instructions: input.instructions,
      context: input.context,
      webhookUrl: input.webhook_url,
      metadata: input.metadata,
      reservedMilliCents: 0,
      campaignId,
    });
    const dispatch: DispatchMessage = DispatchMessage.parse({
      call_id: callId,
      account_id: accountId,
      trunk_id: from.trunkId,
      to: input.to,
      from: from.number,
      ring_timeout_seconds: agent.ringTimeoutSeconds,
      max_duration_seconds: agent.maxDurationSeconds,
      created_at: call.createdAt.toISOString(),
      conversation: conversationSnapshot(call, agent, account.webhookSecret),
    });
    const messages = [{ subject: this.bus.subjects.dispatch, msgId: callId, payload: dispatch }];
    let written;
    try {
      if (!idempotencyKey && account.balanceMilliCents === null) {
        // Nothing to reserve and no key to record: one statement writes the row and its message, atomically.
        written = await this.outbox.writeWithRow(CallEntity, call, messages);
      } else {
        written = await this.ds.transaction(async (m) => {
          if (idempotencyKey) {
            const claimed = await this.calls.with(m).claimIdempotencyKey({ accountId, key: idempotencyKey, requestHash: requestHash!, callId });
            if (!claimed) throw new IdempotencyRace();
          }
          call.reservedMilliCents = await reserveForCall(m, account, callId, agent.maxDurationSeconds);
          return this.outbox.writeWithRow(CallEntity, call, messages, m);
        });
      }
    } catch (err) {
      if (err instanceof IdempotencyRace) {
        const replay = await this.findIdempotent(accountId, idempotencyKey!, requestHash!);
        if (replay) return { call: replay, replayed: true };
      }
      throw err;
    }
    await this.outbox.publish(written);
    this.created.inc({ direction: 'outbound' });
    return { call, replayed: false };
  }

  private async findIdempotent(accountId: string, key: string, requestHash: string): Promise<CallEntity | null> {
    const row = await this.calls.findIdempotencyKey(accountId, key);
    if (!row) return null;
    if (row.requestHash !== requestHash) {
      throw ApiError.conflict(ErrorCodes.idempotencyConflict, 'This Idempotency-Key was already used with a different request body', 'Idempotency-Key');
    }
    return this.get(accountId, row.callId);
  }

  async get(accountId: string, id: string): Promise<CallEntity> {
    if (!isUuid(id)) throw ApiError.notFound('call', id, 'id');
    const call = await this.calls.get(accountId, id);
    if (!call) throw ApiError.notFound('call', id, 'id');
    return call;
  }

  /** The call's recorded events, oldest first (its transcript and final object have routes of their own). */
  async timeline(call: Pick<CallEntity, 'id' | 'accountId'>) {
    const events = await this.calls.events(call.accountId, call.id, TIMELINE_OMITTED_EVENTS);
    return { object: 'list' as const, call_id: call.id, data: events.map((e) => ({ id: e.id, type: e.type as CallEventType, at: e.at.toISOString(), data: e.data })) };
  }

  async view(call: CallEntity) {
    return callView(call, { hasRecording: await this.calls.hasRecording(call.accountId, call.id) });
  }

  async list(accountId: string, q: Partial<CallListQuery> & { limit: number; starting_after?: string }, scope: { number?: string } = {}) {
    const after = await cursorAfter(q.starting_after, (id) => (isUuid(id) ? this.calls.cursor(accountId, id) : Promise.resolve(null)));
    const filter = {
      status: q.status,
      agentId: q.agent_id,
      direction: q.direction,
      toNumber: q.to_number,
      fromNumber: q.from_number,
      createdAfter: q.created_after ? new Date(q.created_after) : undefined,
      createdBefore: q.created_before ? new Date(q.created_before) : undefined,
      number: scope.number,
      campaignId: q.campaign_id,
    };
    const page = await this.calls.list(accountId, filter, { limit: q.limit, after });
    return list(page.rows.map((c) => callView(c)), page.hasMore);
  }

  /**
   * Ends a call: a queued one is canceled here at once; a live one is hung up by the dialer that owns its channel,
   * waiting for the adoption when that dialer just died; a call no dialer takes over is left to the watchdog.
   */
  async end(accountId: string, id: string): Promise<CallEntity> {
    const call = await this.get(accountId, id);
    if (isTerminalStatus(call.status)) throw ApiError.conflict(ErrorCodes.callAlreadyEnded, `Call '${id}' already ended (${call.status})`, 'id');
    if (call.channel === 'web') {
      await this.endWebCall(call, 'api', 'id');
      return this.get(accountId, id);
    }
    if (call.status === 'queued') {
      const ended = await this.endHere(call, { status: 'canceled', hangupCause: 'Canceled before dialing', errorCode: null });
      // A dialer may hold the dispatch message right now: tell it too (silence is fine).
      this.bus.connection.publish(this.bus.subjects.dialerCommand(id), JSON.stringify(DialerCommand.parse({ command: 'hangup', call_id: id, reason: 'api' })));
      if (ended) return this.get(accountId, id);
      return this.end(accountId, id);
    }
    const reply = await this.hangupThroughDialer(accountId, id);
    if (reply === 'ended') return this.get(accountId, id);
    if (!reply) {
      // Not ended here: its channel may still be up, and the dialer that adopts it will report how it ends.
      throw new ApiError(
        503,
        ErrorCodes.callOwnerUnavailable,
        `No dialer holds call '${id}' right now (its dialer stopped and no other took it over within ${this.config.API_DIALER_ADOPTION_WAIT_MS} ms); the call was not ended, retry shortly`,
        'id',
      );
    }
    if (!reply.ok) throw new ApiError(503, ErrorCodes.unavailable, `The dialer could not hang up the call: ${reply.error ?? 'unknown error'}`);
    await this.waitForTerminal(accountId, id, END_CONFIRMED_WAIT_MS);
    return this.get(accountId, id);
  }

  /**
   * Ends a web call however far it got (`reason`: api, caller_hangup). Once its token is used, a media process holds
   * it or is answering its offer, and its row may still say queued (the `answered` event not projected yet): that
   * process hangs up and reports the end, answered or not. A call no media process holds (its token unused, or its
   * offer still being answered) is canceled here; a media process answering after that lets go of it
   * (WebCallsService.connect). A connected call whose media process does not answer is a 503, the call untouched.
   */
  async endWebCall(call: CallEntity, reason: 'api' | 'caller_hangup', param: string | null): Promise<void> {
    if (call.status !== 'queued' || (await this.webCallTokens.isUsed(call.id))) {
      const reply = await this.bus.request(this.bus.subjects.mediaSession(call.id, 'release'), MediaReleaseRequest, { call_id: call.id, reason }, MediaAck, this.config.API_DIALER_COMMAND_TIMEOUT_MS).catch(() => null);
      if (reply?.ok) {
        await this.waitForTerminal(call.accountId, call.id, END_CONFIRMED_WAIT_MS);
        return;
      }
      const now = await this.get(call.accountId, call.id);
      if (isTerminalStatus(now.status)) return;
      if (now.status !== 'queued') throw new ApiError(503, ErrorCodes.callOwnerUnavailable, `No media process holds web call '${call.id}' right now; the call was not ended, retry shortly`, param);
    }
    await this.endHere(call, { status: 'canceled', hangupCause: WEB_CALL_CANCEL_CAUSES[reason], errorCode: null, hangupBy: reason === 'api' ? 'api' : 'caller' });
  }

  /**
   * Asks the dialer that owns the call to hang it up. Between a dialer's death and the adoption of its calls no
   * dialer answers (NATS says "no responders", or the request times out), so it keeps asking for
   * API_DIALER_ADOPTION_WAIT_MS, and stops early if the call ended meanwhile.
   */
  private async hangupThroughDialer(accountId: string, id: string): Promise<DialerCommandReply | 'ended' | null> {
    const deadline = Date.now() + this.config.API_DIALER_ADOPTION_WAIT_MS;
    for (;;) {
      const timeoutMs = Math.max(100, Math.min(this.config.API_DIALER_COMMAND_TIMEOUT_MS, deadline - Date.now()));
      try {
        return await this.bus.request(this.bus.subjects.dialerCommand(id), DialerCommand, { command: 'hangup', call_id: id, reason: 'api' }, DialerCommandReply, timeoutMs);
      } catch (err) {
        this.logger.info({ err: String(err), call: id }, 'no dialer answered for this call yet; waiting for its adoption');
      }
      if (isTerminalStatus((await this.get(accountId, id)).status)) return 'ended';
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((r) => setTimeout(r, Math.min(250, left)));
    }
  }

  /**
   * Ends a call here, for calls no dialer holds: writes its `ended` event through the projector (and to JetStream, for
   * the other services). Returns whether the call is now terminal.
   */
  async endHere(call: CallEntity, o: { status: 'canceled' | 'completed' | 'failed'; hangupCause: string; errorCode: string | null; hangupBy?: HangupBy }): Promise<boolean> {
    const event: CallEvent = {
      id: newId.event(),
      call_id: call.id,
      account_id: call.accountId,
      seq: 0,
      at: new Date().toISOString(),
      type: 'ended',
      data: { status: o.status, answered: Boolean(call.answeredAt), hangup_cause: o.hangupCause, hangup_cause_code: null, hangup_by: o.hangupBy ?? 'api', error_code: o.errorCode, error_message: null },
    };
    const out = await this.ds.transaction(async (m) => {
      const own = await this.projector.applyIn(m, event);
      return this.outbox.write(m, [{ subject: this.bus.subjects.callEvent(call.id, 'ended'), msgId: event.id, payload: event }]).then((w) => [...w, ...own]);
    });
    await this.outbox.publish(out);
    const now = await this.get(call.accountId, call.id);
    return now.status === o.status || isTerminalStatus(now.status);
  }

  /** The call once its row has a final status, read every 50 ms for up to `timeoutMs`; null if it has none by then. */
  async waitForTerminal(accountId: string, id: string, timeoutMs: number): Promise<CallEntity | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const c = await this.get(accountId, id);
      if (isTerminalStatus(c.status)) return c;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }
}

/**
 * Once the dialer or the media process has confirmed a hang-up, how long `POST /v1/calls/:id/end` waits for the call's
 * row to show the end, so that it answers with the ended call: milliseconds normally; on a loaded machine the events
 * before it (answered, then ended) took over 3.6 s to be projected once in CI, and the answer then still said queued.
 */
const END_CONFIRMED_WAIT_MS = 10_000;

class IdempotencyRace extends Error {}


/** JSON with sorted keys, so the same body in another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
