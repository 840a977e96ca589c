import type { z } from 'zod';
import { type CallLatency, MAX_TURN_LATENCIES, type TurnLatencyRecord } from '@parley/common';

export type CallLatencySummary = z.infer<typeof CallLatency>;

/** Timestamps of one caller -> agent turn (performance.now() ms). */
export interface TurnMarks {
  /** The caller stopped talking (end of the last voiced VAD window). */
  speechEnd: number;
  /** When the endpointing silence had passed in the caller's audio (speechEnd + the silence, to the window). */
  endpointDue?: number;
  /** The endpointer decided the turn was over: endpointDue plus the VAD's lag behind the audio. */
  endpoint?: number;
  sttFinal?: number;
  llmFirstToken?: number;
  /** The first sentence was complete and handed to TTS. */
  firstSentence?: number;
  ttsFirstAudio?: number;
  firstAudioOut?: number;
}

export interface TurnLatency {
  sttMs: number;
  llmFirstTokenMs: number;
  ttsFirstAudioMs: number;
  /** Caller speech end -> first agent RTP packet. */
  firstAudioOutMs: number;
  /** The endpointing silence itself (configured, rounded up to the VAD window). */
  endpointingMs: number;
  /** How far the VAD's answers lagged the caller's audio when the endpoint was decided. */
  vadLagMs: number;
  /** The model, from the transcript to its first whole sentence (what TTS waits for). */
  llmFirstSentenceMs: number;
  /** What the platform itself added: first audio out minus endpointing wait and provider time (VAD lag included). */
  addedMs: number;
}

/** The stages of a completed turn, or undefined when it did not get as far as audio out. */
export function turnLatency(m: TurnMarks): TurnLatency | undefined {
  if (m.endpointDue === undefined || m.endpoint === undefined || m.sttFinal === undefined || m.llmFirstToken === undefined || m.firstSentence === undefined || m.ttsFirstAudio === undefined || m.firstAudioOut === undefined) return undefined;
  const endpointingMs = m.endpointDue - m.speechEnd;
  const vadLagMs = m.endpoint - m.endpointDue;
  const sttMs = m.sttFinal - m.endpoint;
  const llmFirstTokenMs = m.llmFirstToken - m.sttFinal;
  const llmFirstSentenceMs = m.firstSentence - m.sttFinal;
  const ttsFirstAudioMs = m.ttsFirstAudio - m.firstSentence;
  const firstAudioOutMs = m.firstAudioOut - m.speechEnd;
  return { sttMs, llmFirstTokenMs, llmFirstSentenceMs, ttsFirstAudioMs, firstAudioOutMs, endpointingMs, vadLagMs, addedMs: firstAudioOutMs - endpointingMs - sttMs - llmFirstSentenceMs - ttsFirstAudioMs };
}

/** The turns' stages as the conversation_ended event lists them (ms, rounded; the first MAX_TURN_LATENCIES turns). */
export function turnLatencyRecords(turns: TurnLatency[]): TurnLatencyRecord[] {
  return turns.slice(0, MAX_TURN_LATENCIES).map((t) => ({
    endpointing_ms: Math.round(t.endpointingMs),
    stt_ms: Math.round(t.sttMs),
    llm_first_token_ms: Math.round(t.llmFirstTokenMs),
    llm_first_sentence_ms: Math.round(t.llmFirstSentenceMs),
    tts_first_audio_ms: Math.round(t.ttsFirstAudioMs),
    added_ms: Math.round(t.addedMs),
    first_audio_out_ms: Math.round(t.firstAudioOutMs),
  }));
}

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function stage(values: number[]) {
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return { p50_ms: round(percentile(values, 50)), p95_ms: round(percentile(values, 95)), count: values.length };
}

/** The per-call summary kept on the call (p50/p95 of each stage). */
export function summarizeLatency(turns: TurnLatency[]): CallLatencySummary {
  return {
    turns: turns.length,
    stt_ms: stage(turns.map((t) => t.sttMs)),
    llm_first_token_ms: stage(turns.map((t) => t.llmFirstTokenMs)),
    tts_first_audio_ms: stage(turns.map((t) => t.ttsFirstAudioMs)),
    first_audio_out_ms: stage(turns.map((t) => t.firstAudioOutMs)),
  };
}
