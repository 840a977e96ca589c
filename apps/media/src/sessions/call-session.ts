import type { CodecName } from '@parley/audio';
import { type ConversationSnapshot, DialerCommand, DialerCommandReply, type TranscriptSegment } from '@parley/common';
import type { Bus, Logger } from '@parley/service-kit';
import type { MediaConfig } from '../config';
import { CallRecorder } from '../conversation/call-recorder';
import { Conversation, type ConversationSettings } from '../conversation/conversation';
import { summarizeLatency, turnLatencyRecords } from '../conversation/turn-latency';
import { conversationSetup } from './conversation-setup';
import type { MediaMetrics } from '../metrics/media-metrics';
import { ConversationWebhook, WEBHOOK_MODEL } from '../providers/llm/conversation-webhook';
import type { Providers } from '../providers/registry';
import type { RtpLeg, RtpLegOptions } from '../rtp/rtp-leg';
import type { CallControl } from '../conversation/conversation-inputs';
import type { RtpLegs } from '../rtp/rtp-legs';
import type { RecordingUploads } from '../recording/recording-uploads';

export interface CallSessionDeps {
  config: MediaConfig;
  providers: Providers;
  bus: Bus;
  logger: Logger;
  metrics: MediaMetrics;
  legs: RtpLegs;
  /** Agents' HTTP tools call user-supplied URLs through the outbound guard. */
  toolFetch: typeof fetch;
  /** Conversation webhooks too, their answers streamed. */
  answerFetch: typeof fetch;
  /** Where a finished recording goes (spool, then its store). */
  recordings: RecordingUploads;
}

/**
 * Release reason of a session its placer gave up on (its allocate or offer timed out and the call went to another media
 * process): let go without a trace, since the call lives on elsewhere.
 */
export const PLACEMENT_WITHDRAWN = 'placement_withdrawn';

/** If the dialer never releases a call we asked to hang up, finish it ourselves after this long. */
const RELEASE_GRACE_MS = 10_000;

export function conversationSettings(config: MediaConfig): ConversationSettings {
  return {
    endpointingSilenceMs: config.ENDPOINTING_SILENCE_MS,
    ...(config.ENDPOINTING_PAUSE_MS > 0
      ? { pauseMs: config.ENDPOINTING_PAUSE_MS, completeSilenceMs: config.ENDPOINTING_COMPLETE_SILENCE_MS, incompleteSilenceMs: config.ENDPOINTING_INCOMPLETE_SILENCE_MS }
      : {}),
    ...(config.ENDPOINTING_GREETING_SILENCE_MS > 0 ? { greetingSilenceMs: config.ENDPOINTING_GREETING_SILENCE_MS } : {}),
    openingWaitMs: config.OPENING_WAIT_MS,
    vadStartThreshold: config.VAD_START_THRESHOLD,
    vadEndThreshold: config.VAD_END_THRESHOLD,
    minSpeechMs: 96,
    bargeInMinSpeechMs: config.BARGE_IN_MIN_SPEECH_MS,
    silenceRepromptMs: config.SILENCE_REPROMPT_MS,
    silenceHangupMs: config.SILENCE_HANGUP_MS,
    voicemailDetectMs: config.VOICEMAIL_DETECT_MS,
    longGreetingMs: 3500,
  };
}

/**
 * One call in the media service, from allocation to release: its RTP leg, its conversation and
 * its recording. Publishes live transcript segments, then `recording` and `conversation_ended`
 * exactly once when it ends (released by the dialer, or at shutdown).
 */
export class CallSession {
  private leg: RtpLeg | undefined;
  private conversation: Conversation | undefined;
  private recorder: CallRecorder | undefined;
  private attached = false;
  private finished: Promise<void> | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly closedWaiters: Array<() => void> = [];

  private constructor(
    readonly callId: string,
    readonly codec: CodecName,
    private readonly snapshot: ConversationSnapshot,
    private readonly deps: CallSessionDeps,
    private readonly control?: CallControl,
    /** A web call's page hears its transcript live too. */
    private readonly onSegment?: (segment: TranscriptSegment) => void,
  ) {
    this.log = deps.logger.child({ call_id: callId });
  }

  /**
   * A session with its RTP endpoint bound (on a free port of the range); tool headers in `snapshot` already opened.
   * A web call passes `leg`, its leg on the peer connection, and `control`, which has no dialer behind it.
   */
  static async open(
    callId: string,
    codec: CodecName,
    snapshot: ConversationSnapshot,
    deps: CallSessionDeps,
    web?: { leg: (options: RtpLegOptions) => RtpLeg; control: CallControl; onSegment: (segment: TranscriptSegment) => void },
  ): Promise<CallSession> {
    const session = new CallSession(callId, codec, snapshot, deps, web?.control, web?.onSegment);
    const open = web ? async (o: RtpLegOptions) => web.leg(o) : (o: RtpLegOptions) => deps.legs.open(o);
    session.leg = await open({
      codec,
      // A browser's jitter buffer takes pauses in the agent's audio in its stride (WebRTC's own codecs send none
      // in silence); a carrier may hang up on them.
      dtx: web ? deps.config.MEDIA_WEBRTC_DTX : deps.config.MEDIA_DTX,
      onAudio: (pcm) => {
        session.recorder?.caller(pcm);
        session.conversation?.onCallerAudio(pcm);
      },
      onAgentAudio: (pcm) => session.recorder?.agent(pcm),
      onAgentAudioTrim: (samples) => session.recorder?.trimAgentSilence(samples),
      onLateFrames: (count) => deps.metrics.countLateFrames(count),
      onRemote: () => session.startConversation(),
    });
    return session;
  }

  get rtp(): RtpLeg {
    return this.leg!;
  }

  get port(): number {
    return this.rtp.port;
  }

  get accountId(): string {
    return this.snapshot.account_id;
  }

  get isFinished(): boolean {
    return this.finished !== undefined;
  }

  /** The dialer attached it (or the browser connected): the call is this process's. */
  get isAttached(): boolean {
    return this.attached;
  }

  /** The ExternalMedia channel is bridged: start the clock (silence until there is something to say). */
  async attach(rtpRemote?: { address: string; port: number }): Promise<void> {
    if (this.attached || this.finished) return;
    this.attached = true;
    const recordings = this.deps.recordings;
    this.recorder = await recordings
      .begin(this.callId, this.accountId)
      .then(() => CallRecorder.create(recordings.spoolFileOf(this.callId)))
      .catch((err) => {
        this.log.error({ err }, 'cannot write the recording; the call goes on without one');
        return undefined;
      });
    this.conversation = this.createConversation();
    this.rtp.start();
    if (rtpRemote) this.rtp.setRemote(rtpRemote);
    // Asterisk's first packet tells us where to send; in a softmix bridge it may already have come.
    if (this.rtp.remote) this.startConversation();
  }

  /** Resolves when the session has ended and published its events. */
  whenFinished(): Promise<void> {
    return this.finished ?? new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Why the session was released first (the dialer's, the API's, the agent's or the browser's reason). */
  releasedFor: string | undefined;

  /** The call is over: stop, flush the recording, publish the final events. Idempotent. */
  release(reason: string): Promise<void> {
    this.releasedFor ??= reason;
    this.finished ??= this.finish(reason).then(() => {
      for (const w of this.closedWaiters) w();
    });
    return this.finished;
  }

  private startConversation(): void {
    if (!this.conversation || this.finished) return;
    this.conversation.start();
  }

  private createConversation(): Conversation {
    const setup = conversationSetup(this.callId, this.snapshot, this.log);
    const model = this.snapshot.conversation ? this.conversationWebhook(this.snapshot.conversation) : this.deps.providers.models.for(setup.llm);
    return new Conversation(
      { ...setup, llm: { ...setup.llm, model: model.model } },
      {
        stt: this.deps.providers.stt,
        llm: model.llm,
        tts: this.deps.providers.tts,
        vad: this.deps.providers.vad.createStream(),
        vadWindowSamples: this.deps.providers.vad.windowSamples,
        playout: this.rtp.playout,
        settings: conversationSettings(this.deps.config),
        control: this.control ?? {
          hangup: (reason) => this.command({ command: 'hangup', call_id: this.callId, reason: 'agent' }, reason),
          transfer: (destination) => this.command({ command: 'transfer', call_id: this.callId, destination }, 'transferred'),
          sendDtmf: (digits) => this.command({ command: 'dtmf', call_id: this.callId, digits }),
        },
        onSegment: (segment) => this.publishSegment(segment),
        onTurnLatency: (latency) => this.deps.metrics.observeTurn(latency),
        onBargeIn: () => this.deps.metrics.bargeIns.inc(),
        onGreetingRetaken: () => this.deps.metrics.greetingsRetaken.inc(),
        onToolCall: (record) => {
          this.deps.bus.publishCallEvent('tool_call', { call_id: this.callId, account_id: this.accountId }, record).catch((err) => this.log.warn({ err }, 'tool_call event not published'));
        },
        logger: this.log,
        fetch: this.deps.toolFetch,
      },
    );
  }

  /** A command to the dialer that owns the call; after a hang-up or transfer, the dialer releases us. */
  private async command(command: DialerCommand, endsCall?: string): Promise<void> {
    const bus = this.deps.bus;
    try {
      const reply = await bus.request(bus.subjects.dialerCommand(this.callId), DialerCommand, command, DialerCommandReply, 5000);
      if (!reply.ok) throw new Error(reply.error ?? `dialer refused ${command.command}`);
    } finally {
      if (endsCall && command.command !== 'dtmf') {
        this.releaseTimer ??= setTimeout(() => void this.release(endsCall), RELEASE_GRACE_MS);
      }
    }
  }

  /** The agent's endpoint in the model's place (webhook mode); its failed turns are recorded in the call's events. */
  private conversationWebhook(webhook: NonNullable<ConversationSnapshot['conversation']>): { llm: ConversationWebhook; model: string } {
    const s = this.snapshot;
    const llm = new ConversationWebhook({
      url: webhook.url,
      timeoutMs: webhook.timeout_ms,
      secret: webhook.secret,
      call: { id: this.callId, agent_id: s.agent_id, direction: s.direction, from_number: s.from_number ?? null, to_number: s.to_number ?? null, context: s.context, metadata: s.metadata ?? {} },
      fetch: this.deps.answerFetch,
      onError: (turnId, message) => {
        this.log.warn({ turn_id: turnId, reason: message }, 'conversation webhook failed; the fallback is spoken');
        this.deps.metrics.conversationWebhookErrors.inc();
        this.deps.bus
          .publishCallEvent('agent_error', { call_id: this.callId, account_id: this.accountId, id: `${turnId}:agent_error` }, { source: 'conversation_webhook', turn_id: turnId, message })
          .catch((err) => this.log.warn({ err }, 'agent_error event not published'));
      },
    });
    return { llm, model: WEBHOOK_MODEL };
  }

  private publishSegment(segment: TranscriptSegment): void {
    this.onSegment?.(segment);
    this.log.info({ role: segment.role, text: segment.text, interrupted: segment.interrupted }, 'transcript');
    this.deps.bus.publishCallEvent('transcript', { call_id: this.callId, account_id: this.accountId }, { segment }).catch((err) => this.log.warn({ err }, 'transcript event not published'));
  }

  private async finish(reason: string): Promise<void> {
    clearTimeout(this.releaseTimer);
    const conversation = this.conversation;
    this.rtp.close();
    if (conversation) await conversation.stop(reason);
    const base = { call_id: this.callId, account_id: this.accountId };
    const bus = this.deps.bus;
    if (this.recorder) {
      try {
        await this.deps.recordings.finished(this.callId, this.accountId, await this.recorder.finish());
      } catch (err) {
        this.log.error({ err }, 'recording not finished');
      }
    }
    if (conversation) {
      try {
        await bus.publishCallEvent('conversation_ended', base, {
          segments: conversation.segments,
          answered_by: conversation.answeredBy,
          latency: conversation.latencies.length > 0 ? summarizeLatency(conversation.latencies) : null,
          turns: turnLatencyRecords(conversation.latencies),
          reason: conversation.endReason ?? reason,
        });
      } catch (err) {
        this.log.error({ err }, 'conversation_ended not published');
      }
    }
    this.log.info({ reason, rtp: this.rtp.stats, jitter: this.rtp.jitterStats, segments: conversation?.segments.length ?? 0 }, 'session ended');
  }
}
