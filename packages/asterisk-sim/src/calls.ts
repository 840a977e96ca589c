import type { CallDirection } from '@parley/common';
import type { FarEndPhone } from './far-end/phone';
import type { Scenario } from './far-end/scenario';

export type HungUpBy = 'agent' | 'far_end' | 'timeout' | 'failure';

/** One simulated call as the far end lived it: `GET /sim/calls`. */
export class SimCall {
  readonly createdAt = new Date();
  ringingAt: Date | undefined;
  answeredAt: Date | undefined;
  endedAt: Date | undefined;
  hungUpBy: HungUpBy | undefined;
  cause: number | undefined;
  causeTxt: string | undefined;
  /** Digits the agent sent (POST /channels/{id}/dtmf), as the far end heard them. */
  dtmfHeard = '';
  /** Blind transfer target (POST /channels/{id}/redirect). */
  redirectedTo: string | undefined;
  phone: FarEndPhone | undefined;

  constructor(
    readonly channelId: string,
    readonly direction: CallDirection,
    readonly endpoint: string,
    readonly from: string,
    readonly to: string,
    readonly scenario: Scenario,
  ) {}

  get state(): 'dialing' | 'ringing' | 'answered' | 'ended' {
    if (this.endedAt) return 'ended';
    if (this.answeredAt) return 'answered';
    if (this.ringingAt) return 'ringing';
    return 'dialing';
  }

  toJSON(): Record<string, unknown> {
    const stats = this.phone?.stats;
    return {
      channel_id: this.channelId,
      direction: this.direction,
      endpoint: this.endpoint,
      from: this.from,
      to: this.to,
      outcome: this.scenario.outcome,
      codec: this.scenario.codec,
      state: this.state,
      created_at: this.createdAt.toISOString(),
      ringing_at: this.ringingAt?.toISOString() ?? null,
      answered_at: this.answeredAt?.toISOString() ?? null,
      ended_at: this.endedAt?.toISOString() ?? null,
      hung_up_by: this.hungUpBy ?? null,
      cause: this.cause ?? null,
      cause_txt: this.causeTxt ?? null,
      agent_audio_ms: Math.round(stats?.agentAudioMs ?? 0),
      agent_speech_ms: Math.round(stats?.agentSpeechMs ?? 0),
      lines_spoken: stats?.linesSpoken ?? 0,
      spoken: stats?.spoken ?? [],
      dtmf_heard: this.dtmfHeard,
      redirected_to: this.redirectedTo ?? null,
      heard_wav: `/sim/calls/${encodeURIComponent(this.channelId)}/heard.wav`,
    };
  }
}

export class CallLog {
  private readonly calls = new Map<string, SimCall>();

  /** Keeps at most `limit` calls: a long-running sandbox forgets the oldest ended ones (and their heard audio). */
  constructor(private readonly limit = 500) {}

  add(call: SimCall): void {
    this.calls.set(call.channelId, call);
    if (this.calls.size <= this.limit) return;
    for (const old of this.calls.values()) {
      if (old.state === 'ended') {
        this.calls.delete(old.channelId);
        if (this.calls.size <= this.limit) return;
      }
    }
  }

  get(channelId: string): SimCall | undefined {
    return this.calls.get(channelId);
  }

  list(): SimCall[] {
    return [...this.calls.values()];
  }

  /** Forgets ended calls. */
  clear(): void {
    for (const call of this.calls.values()) if (call.state === 'ended') this.calls.delete(call.channelId);
  }
}
