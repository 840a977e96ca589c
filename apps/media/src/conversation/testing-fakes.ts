import { generateTone } from '@parley/audio';
import type { Llm, LlmChunk, LlmRequest, Stt, SttResult, SttStream, Tts, TtsOptions } from '../providers/types';
import type { TranscriptSegment } from '@parley/common';
import { EnergyVadProvider } from '../providers/vad/energy';
import { Conversation, type ConversationDeps, type ConversationSettings, type ConversationSetup } from './conversation';
import { Playout } from './playout';
import type { TurnLatency } from './turn-latency';

/** Fakes that implement the provider interfaces, for conversation tests without engines. */
export class ScriptedLlm implements Llm {
  readonly name = 'scripted';
  readonly requests: Array<{ request: LlmRequest; aborted: boolean; messages: LlmRequest['messages'] }> = [];
  /** Chunks handed out so far, over all requests. */
  yielded = 0;

  constructor(private readonly replies: Array<(req: LlmRequest) => LlmChunk[] | Error>, private readonly chunkDelayMs = 5) {}

  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    const record = { request, aborted: false, messages: structuredClone(request.messages) };
    this.requests.push(record);
    request.signal.addEventListener('abort', () => (record.aborted = true));
    const reply = this.replies[Math.min(this.requests.length - 1, this.replies.length - 1)]!(request);
    if (reply instanceof Error) throw reply;
    for (const chunk of reply) {
      await sleep(this.chunkDelayMs);
      if (request.signal.aborted) return;
      this.yielded++;
      yield chunk;
    }
  }
}

export function words(text: string): LlmChunk[] {
  return (text.match(/\S+\s*/g) ?? []).map((t) => ({ type: 'text', text: t }));
}

/** Each sentence becomes 100 ms of tone per word, in 100 ms chunks. */
export class ToneTts implements Tts {
  readonly name = 'tone';
  readonly aborted: string[] = [];
  readonly spoken: string[] = [];

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    this.spoken.push(text);
    const n = text.split(/\s+/).length;
    for (let i = 0; i < n; i++) {
      await sleep(1);
      if (options.signal.aborted) {
        this.aborted.push(text);
        return;
      }
      yield generateTone({ frequency: 440, sampleRate: 16000, durationMs: 100, amplitude: 8000 });
    }
  }
}

export class QueueStt implements Stt {
  readonly name = 'queue';
  readonly heard: number[] = [];
  constructor(protected readonly texts: string[]) {}
  async transcribe(pcm: Int16Array): Promise<SttResult> {
    this.heard.push(pcm.length);
    return { text: this.texts.shift() ?? '' };
  }
}

/** Streams each utterance: records the samples it was fed; `fail` makes finish() reject (the batch path takes over). */
export class StreamingQueueStt extends QueueStt {
  readonly streams: Array<{ samples: number; finished: boolean; canceled: boolean }> = [];
  fail = false;
  /** What `partial()` answers mid-utterance (undefined: the engine has no partials). */
  partialText: string | undefined;
  stream(): SttStream {
    const record = { samples: 0, finished: false, canceled: false };
    this.streams.push(record);
    return {
      write: (pcm) => {
        record.samples += pcm.length;
      },
      finish: async () => {
        record.finished = true;
        if (this.fail) throw new Error('stream broke');
        return { text: this.texts.shift() ?? '' };
      },
      cancel: () => {
        record.canceled = true;
      },
      ...(this.partialText === undefined ? {} : { partial: async () => this.partialText ?? '' }),
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const testSettings: ConversationSettings = {
  endpointingSilenceMs: 300,
  vadStartThreshold: 0.5,
  vadEndThreshold: 0.35,
  minSpeechMs: 64,
  bargeInMinSpeechMs: 150,
  silenceRepromptMs: 60_000,
  silenceHangupMs: 120_000,
  voicemailDetectMs: 3000,
  longGreetingMs: 3500,
};

export const speech = (ms: number) => generateTone({ frequency: 300, sampleRate: 16000, durationMs: ms, amplitude: 12000 });
export const quiet = (ms: number) => new Int16Array((ms * 16000) / 1000);

/** A call's setup for conversation tests: no greeting, no voicemail detection, unless overridden. */
export const testSetup: ConversationSetup = {
  callId: 'c1',
  prompt: 'You are a test.',
  context: {},
  language: 'en',
  voice: null,
  greeting: null,
  voicemailAction: 'hangup',
  voicemailMessage: null,
  tools: [],
  llm: {},
  maxDurationMs: 600_000,
  detectVoicemail: false,
};

/** A conversation over fakes (energy VAD, a real Playout), recording its segments and turn latencies. */
export function testConversation(setup: Partial<ConversationSetup>, deps: Pick<ConversationDeps, 'stt' | 'llm' | 'tts'> & Partial<ConversationDeps>) {
  const playout = new Playout();
  const segments: TranscriptSegment[] = [];
  const latencies: TurnLatency[] = [];
  const conversation = new Conversation(
    { ...testSetup, ...setup },
    {
      vad: new EnergyVadProvider(-30).createStream(),
      vadWindowSamples: 512,
      playout,
      control: { hangup: async () => undefined, transfer: async () => undefined, sendDtmf: async () => undefined },
      settings: testSettings,
      onSegment: (s) => segments.push(s),
      onTurnLatency: (l) => latencies.push(l),
      logger: { info: () => undefined, warn: () => undefined },
      ...deps,
    },
  );
  return { conversation, playout, segments, latencies };
}

/**
 * Plays caller audio 20 ms at a time as the RTP clock would, reading the agent's audio meanwhile; returns the agent
 * frames that were sent.
 */
export async function playCaller(conversation: Conversation, playout: Playout, caller: Int16Array, stepMs = 5): Promise<Int16Array[]> {
  const played: Int16Array[] = [];
  for (let o = 0; o < caller.length; o += 320) {
    conversation.onCallerAudio(caller.subarray(o, o + 320));
    const out = playout.read(320);
    if (out) played.push(out);
    await sleep(stepMs);
  }
  await sleep(20);
  return played;
}
