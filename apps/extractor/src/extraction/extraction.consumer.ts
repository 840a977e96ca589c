import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { JsMsg } from 'nats';
import { CallEvent, type CallEventOf, normalizeReturns, type ResultStatus, ReturnsSchemaError, type TranscriptSegment } from '@parley/common';
import { type CallEntity, CallsRepository } from '@parley/db';
import { Bus, LOGGER, type Logger, Metrics, type RunningConsumer } from '@parley/service-kit';
import { EXTRACTOR_CONFIG, type ExtractorConfig } from '../config';
import { missingConversationReason, unansweredReason } from './no-conversation';
import { type ExtractionModel, ExtractionModels } from './extraction-models';
import { ModelUnavailableError, ResultExtractor } from './result-extractor';

type Conversation = CallEventOf<'conversation_ended'>['data'];
type Settlement = { result_status: Exclude<ResultStatus, 'pending'>; result: Record<string, unknown> | null; result_error: string | null; reason: string };

const failed = (error: string, reason: string): Settlement => ({ result_status: 'failed', result: null, result_error: error, reason });
const completed = (result: Record<string, unknown>, reason: string): Settlement => ({ result_status: 'completed', result, result_error: null, reason });

class ShuttingDown extends Error {}

/**
 * Turns ended calls into `result` events. Unanswered calls and calls without a conversation fail at once (no model
 * call); answered calls are extracted from the `conversation_ended` segments, or from the transcript rows if that
 * event does not come in time. A call is settled once: the row's result_status, the `result` event already in the
 * stream, a per-call queue in this process and a Postgres advisory lock across processes all guard it.
 */
@Injectable()
export class ExtractionConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: RunningConsumer[] = [];
  private readonly perCall = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, { resolve: (c: Conversation | null) => void; reject: (e: Error) => void }>();
  /** Recent conversations, for an `ended` that arrives after its `conversation_ended`. */
  private readonly conversations = new Map<string, Conversation>();
  private activeExtractions = 0;
  private readonly extractionQueue: Array<() => void> = [];
  private readonly m;

  constructor(
    @Inject(EXTRACTOR_CONFIG) private readonly config: ExtractorConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(CallsRepository) private readonly calls: CallsRepository,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(ResultExtractor) private readonly extractor: ResultExtractor,
    @Inject(ExtractionModels) private readonly models: ExtractionModels,
    metrics: Metrics,
  ) {
    this.m = {
      results: metrics.counter('parley_extractor_results_total', 'Results published, by status and reason', ['result_status', 'reason']),
      skipped: metrics.counter('parley_extractor_skipped_total', 'Events that needed no work (result already settled)', ['event']),
      retries: metrics.counter('parley_extractor_validation_retries_total', 'Extractions that needed the retry with the validation error'),
      duration: metrics.histogram('parley_extractor_extraction_seconds', 'Model extraction time per call (all attempts)', [], [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120]),
      waiting: metrics.gauge('parley_extractor_waiting_calls', 'Answered calls waiting for their conversation_ended event'),
      transcriptFallback: metrics.counter('parley_extractor_transcript_fallback_total', 'Answered calls extracted from transcript rows because conversation_ended did not come in time'),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const s = this.bus.subjects;
    // One durable per event type: NATS 2.9 (Debian's) has no multi-subject filters.
    for (const type of ['ended', 'conversation_ended'] as const) {
      this.consumers.push(
        await this.bus.consumeDurable({
          stream: s.callEventsStream,
          durable: `extractor-${type.replace('_', '-')}`,
          filterSubjects: [s.callEventsOfType(type)],
          schema: CallEvent,
          // Waiting calls hold a slot; keep it wide so their conversation_ended events always get through.
          maxAckPending: 1024,
          ackWaitMs: 30_000,
          retryDelayMs: this.config.EXTRACTOR_RETRY_DELAY_MS,
          handler: (event, raw) => this.handle(event, raw),
        }),
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    for (const w of this.waiters.values()) w.reject(new ShuttingDown('extractor shutting down; the event will be redelivered'));
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  private async handle(event: CallEvent, raw: JsMsg): Promise<void> {
    // Long waits and model calls must not let the message's ack deadline pass.
    const heartbeat = setInterval(() => raw.working(), 10_000);
    try {
      if (event.type === 'conversation_ended') await this.onConversationEnded(event, raw);
      else if (event.type === 'ended') await this.onEnded(event, raw);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async onConversationEnded(event: CallEventOf<'conversation_ended'>, raw: JsMsg): Promise<void> {
    const waiter = this.waiters.get(event.call_id);
    if (waiter) return waiter.resolve(event.data);
    this.conversations.set(event.call_id, event.data);
    if (this.conversations.size > 10_000) this.conversations.delete(this.conversations.keys().next().value!);
    await this.settle(event, (call) => this.fromConversation(call, event.data, raw));
  }

  private async onEnded(event: CallEventOf<'ended'>, raw: JsMsg): Promise<void> {
    if (!event.data.answered) {
      const reason = unansweredReason(event.data);
      return this.settle(event, async () => failed(reason, 'unanswered'));
    }
    if (await this.isSettled(event.account_id, event.call_id)) {
      this.m.skipped.inc({ event: 'ended' });
      return;
    }
    const conversation = this.conversations.get(event.call_id) ?? (await this.waitForConversation(event.call_id));
    await this.settle(event, async (call) => {
      if (conversation) return this.fromConversation(call, conversation, raw);
      this.m.transcriptFallback.inc();
      this.log.info({ call_id: call.id }, 'conversation_ended did not come in time; extracting from transcript rows');
      return this.fromConversation(call, { segments: await this.loadSegments(call), answered_by: call.answeredBy, reason: null }, raw);
    });
  }

  private waitForConversation(callId: string): Promise<Conversation | null> {
    return new Promise<Conversation | null>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(callId);
        this.m.waiting.set(this.waiters.size);
      };
      const timer = setTimeout(() => {
        done();
        resolve(null);
      }, this.config.EXTRACTOR_TRANSCRIPT_WAIT_MS);
      this.waiters.get(callId)?.resolve(null); // a redelivered `ended` replaces an older waiter
      this.waiters.set(callId, {
        resolve: (c) => {
          done();
          resolve(c);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.m.waiting.set(this.waiters.size);
    });
  }

  private async loadSegments(call: CallEntity): Promise<TranscriptSegment[]> {
    return this.calls.transcript(call.accountId, call.id);
  }

  private async fromConversation(
    call: CallEntity,
    conversation: { segments: TranscriptSegment[]; answered_by: string | null; reason: string | null },
    raw: JsMsg,
  ): Promise<Settlement> {
    const { segments, answered_by: answeredBy } = conversation;
    const missing = missingConversationReason(segments, answeredBy, conversation.reason);
    if (missing) return failed(missing, answeredBy === 'machine' ? 'voicemail' : 'no_conversation');
    let schema;
    try {
      schema = normalizeReturns(call.returns);
    } catch (err) {
      if (err instanceof ReturnsSchemaError) return failed(`the returns schema is invalid: ${err.message}`, 'invalid_returns');
      throw err;
    }
    if (!schema) return completed({}, 'no_returns');
    let model: ExtractionModel;
    try {
      model = this.models.for(await this.calls.agentModelSettings(call.accountId, call.id));
    } catch (err) {
      return failed(`the agent's model api_key cannot be decrypted (PARLEY_SECRET_KEY differs from the api's?): ${(err as Error).message}`, 'model_key');
    }
    const started = process.hrtime.bigint();
    try {
      const outcome = await this.withExtractionSlot(() =>
        this.extractor.extract({ segments, schema, context: call.context ?? {}, callStartedAt: call.answeredAt ?? call.startedAt ?? call.createdAt, language: call.language, model }),
      );
      if (outcome.attempts > 1) this.m.retries.inc();
      return outcome.ok ? completed(outcome.result, 'extracted') : failed(outcome.error, 'invalid');
    } catch (err) {
      if (err instanceof ModelUnavailableError && raw.info.deliveryCount >= this.config.EXTRACTOR_MAX_DELIVERIES) {
        return failed(`the model could not be reached after ${raw.info.deliveryCount} tries: ${err.message}`, 'model_unavailable');
      }
      throw err;
    } finally {
      this.m.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async withExtractionSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.activeExtractions >= this.config.EXTRACTOR_CONCURRENCY) await new Promise<void>((r) => this.extractionQueue.push(r));
    this.activeExtractions++;
    try {
      return await fn();
    } finally {
      this.activeExtractions--;
      this.extractionQueue.shift()?.();
    }
  }

  /** Settled = the row says so, or a `result` event for the call is already in the stream (the api may lag behind). */
  private async isSettled(accountId: string, callId: string): Promise<boolean> {
    const status = await this.calls.resultStatus(accountId, callId);
    return (status !== null && status !== 'pending') || (await this.resultPublished(callId));
  }

  private async resultPublished(callId: string): Promise<boolean> {
    try {
      await this.bus.manager.streams.getMessage(this.bus.subjects.callEventsStream, { last_by_subj: this.bus.subjects.callEvent(callId, 'result') });
      return true;
    } catch (err) {
      if (/no message found/i.test(String((err as Error).message))) return false;
      throw err;
    }
  }

  /** Runs `decide` at most once per call and publishes its settlement; a no-op if the call is already settled. */
  private settle(event: CallEvent, decide: (call: CallEntity) => Promise<Settlement>): Promise<void> {
    const previous = this.perCall.get(event.call_id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.settleNow(event, decide));
    this.perCall.set(event.call_id, run);
    void run.finally(() => {
      if (this.perCall.get(event.call_id) === run) this.perCall.delete(event.call_id);
    }).catch(() => undefined);
    return run;
  }

  private async settleNow(event: CallEvent, decide: (call: CallEntity) => Promise<Settlement>): Promise<void> {
    const call = await this.calls.get(event.account_id, event.call_id);
    if (!call) {
      this.log.warn({ call_id: event.call_id, event: event.type }, 'event for an unknown call ignored');
      return;
    }
    if (call.resultStatus !== 'pending') {
      this.m.skipped.inc({ event: event.type });
      return;
    }
    // One settlement per call across every extractor process; the event is redelivered to whoever loses.
    const settled = await this.calls.whileSettling(call.id, async () => {
      if (await this.resultPublished(call.id)) {
        this.m.skipped.inc({ event: event.type });
        return;
      }
      const settlement = await decide(call);
      // A fixed id per call: JetStream drops a second result for the same call within its duplicate window.
      await this.bus.publishCallEvent('result', { call_id: call.id, account_id: call.accountId, id: `${call.id}:result` }, {
        result_status: settlement.result_status,
        result: settlement.result,
        result_error: settlement.result_error,
      });
      this.m.results.inc({ result_status: settlement.result_status, reason: settlement.reason });
      this.log.info({ call_id: call.id, result_status: settlement.result_status, reason: settlement.reason, result_error: settlement.result_error }, 'result published');
    });
    if (!settled.ran) throw new Error(`another extractor is settling call ${call.id}`);
  }
}
