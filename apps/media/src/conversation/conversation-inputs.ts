import type { AgentTool, LlmSettings, TranscriptSegment, VoicemailAction } from '@parley/common';
import type { Llm, Stt, Tts, VadStream } from '../providers/types';
import type { AgentAudioOut } from './playout';
import type { TurnLatency } from './turn-latency';
import type { ToolCallRecord } from './agent-reply';

/** The call's side of a conversation: what its agent is and says. */
export interface ConversationSetup {
  callId: string;
  /** System prompt (the call's rendered prompt). */
  prompt: string;
  /** Given to the model as data in its own message, not pasted into the instructions. */
  context: Record<string, unknown>;
  language: string;
  voice: string | null;
  /** The first words (placeholders already filled), or null: the model speaks first. */
  greeting: string | null;
  voicemailAction: VoicemailAction;
  voicemailMessage: string | null;
  tools: AgentTool[];
  llm: LlmSettings;
  maxDurationMs: number;
  /** Outbound calls listen for an answering machine first. */
  detectVoicemail: boolean;
}

/** The service's side: how turns are taken. */
export interface ConversationSettings {
  endpointingSilenceMs: number;
  vadStartThreshold: number;
  vadEndThreshold: number;
  minSpeechMs: number;
  bargeInMinSpeechMs: number;
  silenceRepromptMs: number;
  silenceHangupMs: number;
  voicemailDetectMs: number;
  longGreetingMs: number;
  /**
   * Adaptive endpointing (with a streaming recognizer): after this much silence the words so far are looked at and, if
   * they read like a finished sentence, the reply is prepared (recognition, model, speech) but not played until the
   * turn has ended. Undefined: a fixed `endpointingSilenceMs`.
   */
  pauseMs?: number;
  /** The silence that ends a turn whose words read like a finished sentence. */
  completeSilenceMs?: number;
  /** The silence that ends a turn whose last word needs more ("and", "the", "um"). */
  incompleteSilenceMs?: number;
  /**
   * The silence that ends a callee's short first words ("Hello?", up to 1.2 s) when a greeting is waiting for them:
   * the greeting's words are known, so it answers them at once. Undefined: the usual endpointing.
   */
  greetingSilenceMs?: number;
  /**
   * While person or machine is being told apart, how long a callee who says nothing is waited for before the agent
   * opens (the greeting, or the model's opening). Undefined: 1500 ms.
   */
  openingWaitMs?: number;
}

export interface CallControl {
  hangup(reason: string): Promise<void>;
  transfer(destination: string): Promise<void>;
  sendDtmf(digits: string): Promise<void>;
}

export interface ConversationLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The engines and outlets a conversation uses. */
export interface ConversationDeps {
  stt: Stt;
  llm: Llm;
  tts: Tts;
  vad: VadStream;
  vadWindowSamples: number;
  playout: AgentAudioOut;
  control: CallControl;
  settings: ConversationSettings;
  onSegment: (segment: TranscriptSegment) => void;
  onTurnLatency: (latency: TurnLatency) => void;
  onBargeIn?: () => void;
  /** The callee was still saying their first words when the greeting began: it stopped, to be said again whole. */
  onGreetingRetaken?: () => void;
  onToolCall?: (record: ToolCallRecord) => void;
  logger: ConversationLogger;
  fetch?: typeof fetch;
}
