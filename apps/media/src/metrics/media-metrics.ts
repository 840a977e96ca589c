import { Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@parley/service-kit';
import type { TurnLatency } from '../conversation/turn-latency';

const STAGE_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

/** The media service's Prometheus series: sessions, RTP pacing, and per-turn latency by stage. */
@Injectable()
export class MediaMetrics {
  readonly sessionsActive: ReturnType<Metrics['gauge']>;
  readonly sessionsTotal: ReturnType<Metrics['counter']>;
  readonly capacity: ReturnType<Metrics['gauge']>;
  readonly refusals: ReturnType<Metrics['counter']>;
  private readonly lateFrames: ReturnType<Metrics['counter']>;
  /** Outgoing frames sent late since start, for the load adverts (the counter's value is only read asynchronously). */
  lateFramesTotal = 0;
  readonly turnStage: ReturnType<Metrics['histogram']>;
  readonly bargeIns: ReturnType<Metrics['counter']>;
  readonly greetingsRetaken: ReturnType<Metrics['counter']>;
  readonly conversationWebhookErrors: ReturnType<Metrics['counter']>;
  readonly rtpEngine: ReturnType<Metrics['gauge']>;
  readonly recordingUploads: ReturnType<Metrics['counter']>;
  readonly recordingUploadSeconds: ReturnType<Metrics['histogram']>;
  readonly recordingsPending: ReturnType<Metrics['gauge']>;

  constructor(@Inject(Metrics) metrics: Metrics) {
    this.sessionsActive = metrics.gauge('parley_media_sessions_active', 'RTP sessions allocated and not yet released');
    this.sessionsTotal = metrics.counter('parley_media_sessions_total', 'RTP sessions allocated', ['codec']);
    this.capacity = metrics.gauge('parley_media_capacity_sessions', 'Sessions this process takes at once (MEDIA_MAX_SESSIONS); allocations and offers beyond it are refused');
    this.refusals = metrics.counter('parley_media_refusals_total', 'Allocations and web call offers refused, by reason (full, shutting_down, duplicate)', ['reason']);
    this.lateFrames = metrics.counter('parley_media_late_frames_total', 'Outgoing RTP packets sent more than 5 ms after they were due');
    this.rtpEngine = metrics.gauge('parley_media_rtp_engine_info', 'What paces outgoing RTP: engine native (its thread, at the scheduling shown) or js (the event loop); always 1', ['engine', 'scheduling']);
    this.bargeIns = metrics.counter('parley_media_barge_ins_total', 'Agent turns interrupted by the caller');
    this.greetingsRetaken = metrics.counter('parley_media_greetings_retaken_total', 'Greetings the callee talked over within a second of their start, still saying their first words: stopped, and said again whole when they were done (also counted as barge-ins)');
    this.conversationWebhookErrors = metrics.counter('parley_media_conversation_webhook_errors_total', 'Turns whose conversation webhook failed (timeout, error, garbage): the fallback was spoken');
    this.recordingUploads = metrics.counter('parley_media_recording_uploads_total', 'Recording uploads to the store (RECORDINGS_STORE=s3) by outcome: uploaded, or failed (an attempt; retried with backoff)', ['outcome']);
    this.recordingUploadSeconds = metrics.histogram('parley_media_recording_upload_seconds', 'Time to upload one finished recording to the store', [], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]);
    this.recordingsPending = metrics.gauge('parley_media_recordings_pending', 'Finished recordings in the spool not yet stored (uploading, or waiting to retry)');
    this.turnStage = metrics.histogram(
      'parley_media_turn_stage_seconds',
      'Per-turn latency by stage: endpointing wait, vad_lag (VAD answers behind the audio), stt, llm_first_token, tts_first_audio, first_audio_out (caller speech end -> first agent RTP packet), added (platform overhead)',
      ['stage'],
      STAGE_BUCKETS,
    );
  }

  countLateFrames(count: number): void {
    this.lateFramesTotal += count;
    this.lateFrames.inc(count);
  }

  observeTurn(t: TurnLatency): void {
    this.turnStage.observe({ stage: 'endpointing' }, t.endpointingMs / 1000);
    this.turnStage.observe({ stage: 'vad_lag' }, Math.max(0, t.vadLagMs) / 1000);
    this.turnStage.observe({ stage: 'stt' }, t.sttMs / 1000);
    this.turnStage.observe({ stage: 'llm_first_token' }, t.llmFirstTokenMs / 1000);
    this.turnStage.observe({ stage: 'tts_first_audio' }, t.ttsFirstAudioMs / 1000);
    this.turnStage.observe({ stage: 'first_audio_out' }, t.firstAudioOutMs / 1000);
    this.turnStage.observe({ stage: 'added' }, Math.max(0, t.addedMs) / 1000);
  }
}
