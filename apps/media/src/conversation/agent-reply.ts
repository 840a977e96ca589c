import type { LlmSettings } from '@parley/common';
import { isAbortError, type Llm, type LlmMessage, type LlmToolCall } from '../providers/types';
import type { AgentTools, ToolOutcome } from './agent-tools';
import type { AgentTurn } from './agent-turn';
import { AsyncQueue } from './async-queue';
import type { ConversationLogger } from './conversation-inputs';
import { PHRASES } from './phrases';
import { SentenceChunker } from './sentence-chunker';

const MAX_TOOL_ROUNDS = 5;
/** A tool that takes longer than this gets a spoken filler. */
const TOOL_FILLER_AFTER_MS = 1200;
/** A model that has said nothing for this long gets a spoken filler (once per turn). */
const LLM_FILLER_AFTER_MS = 2500;

/** The model the agent replies with, its tools and the history it replies to. */
export interface ReplyModel {
  llm: Llm;
  settings: LlmSettings;
  tools: AgentTools;
  history: LlmMessage[];
  logger: ConversationLogger;
  /** Told of every tool call once it is done (the call's timeline records it). */
  onToolCall?: (record: ToolCallRecord) => void;
}

/** A tool call as the call's timeline keeps it: what the model asked, what came of it, how long it took. */
export interface ToolCallRecord {
  name: string;
  arguments: string;
  outcome: ToolOutcome['kind'];
  result: string | null;
  failed: boolean;
  duration_ms: number;
}

/** Arguments and results kept in a tool call's record, at most (the model gets the whole result). */
const TOOL_RECORD_CHARS = 2000;

/**
 * How a reply ended: said in full (or given up on: interrupted, or a prepared reply never played), or with a tool
 * that ends the agent's part: the call is to be hung up, or handed to `destination`. The turn has finished playing.
 */
export type ReplyEnd = { kind: 'said' } | { kind: 'end_call' } | { kind: 'transfer'; destination: string };

const SAID: ReplyEnd = { kind: 'said' };

/**
 * The model's reply to the conversation so far, streamed sentence by sentence into the turn, with tool rounds; a slow
 * model or tool gets a spoken filler and a failing model a spoken fallback.
 */
export async function reply(turn: AgentTurn, model: ReplyModel): Promise<ReplyEnd> {
  for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
    const answer = await speakAnswer(turn, model);
    if (!answer) return SAID;
    const { text, calls } = answer;
    turn.record({ role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) });
    if (calls.length === 0) break;
    // A reply prepared during a pause acts (tools, hang-up, transfer) only once the turn has surely ended.
    if (turn.gate && !(await turn.gate)) return SAID;

    for (const call of calls) {
      const outcome = await runTool(turn, call, model);
      if (turn.signal.aborted) return SAID;
      if (outcome.kind === 'end_call') {
        model.history.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ ok: true }) });
        if (!text.trim()) await turn.say(PHRASES.goodbye);
        await turn.finish();
        return { kind: 'end_call' };
      }
      if (outcome.kind === 'transfer') {
        model.history.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ ok: true, destination: outcome.destination }) });
        await turn.finish();
        return { kind: 'transfer', destination: outcome.destination };
      }
      model.history.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
      if (outcome.failed && model.llm.actsOnly) model.logger.warn({ action: call.name, arguments: call.arguments, error: outcome.content }, 'an action of the answer was refused');
    }
    if (model.llm.actsOnly) break;
  }
  await turn.finish();
  return SAID;
}

/**
 * One answer of the model: its text spoken as it streams, its tool calls collected. Undefined when the turn was
 * stopped, or the model failed (the fallback was said and the turn finished).
 */
async function speakAnswer(turn: AgentTurn, model: ReplyModel): Promise<{ text: string; calls: LlmToolCall[] } | undefined> {
  const signal = turn.signal;
  const marks = turn.marks;
  const sentences = new AsyncQueue<string>();
  const speaking = turn.speak(sentences);
  const chunker = new SentenceChunker();
  let text = '';
  const calls: LlmToolCall[] = [];
  let answeredBy = model.settings.model;
  // A slow model must not leave the line dead: say something while it thinks.
  let stall: NodeJS.Timeout | undefined = turn.filled
    ? undefined
    : setTimeout(() => {
        turn.filled = true;
        sentences.push(PHRASES.llmFiller);
      }, LLM_FILLER_AFTER_MS);
  try {
    for await (const chunk of model.llm.stream({
      messages: model.history,
      tools: model.tools.specs(),
      model: model.settings.model,
      temperature: model.settings.temperature,
      maxTokens: model.settings.max_tokens,
      signal,
    })) {
      clearTimeout(stall);
      stall = undefined;
      if (chunk.type === 'model') {
        answeredBy = chunk.model;
      } else if (chunk.type === 'text') {
        if (marks && marks.llmFirstToken === undefined) marks.llmFirstToken = performance.now();
        turn.model ??= answeredBy;
        text += chunk.text;
        for (const s of chunker.push(chunk.text)) sentences.push(s);
      } else {
        calls.push(chunk.call);
      }
    }
    clearTimeout(stall);
    for (const s of chunker.flush()) sentences.push(s);
    sentences.close();
  } catch (err) {
    clearTimeout(stall);
    sentences.close();
    await speaking;
    if (signal.aborted || isAbortError(err)) return undefined;
    model.logger.warn({ err }, 'language model failed; speaking the fallback');
    await turn.say(PHRASES.llmFallback);
    turn.remember(PHRASES.llmFallback);
    await turn.finish();
    return undefined;
  }
  await speaking;
  if (signal.aborted) return undefined;
  return { text, calls };
}

/** Runs a tool; one that takes long gets a filler sentence so the line is never dead. */
async function runTool(turn: AgentTurn, call: LlmToolCall, model: ReplyModel): Promise<ToolOutcome> {
  const tool = model.tools.get(call.name);
  model.logger.info({ tool: call.name, arguments: call.arguments }, 'tool call');
  const filler = tool?.type === 'http' ? (tool.speak_while_waiting ?? PHRASES.toolFiller) : undefined;
  let fillerTimer: NodeJS.Timeout | undefined;
  let fillerSpeech: Promise<void> | undefined;
  if (filler) {
    fillerTimer = setTimeout(() => {
      fillerSpeech = turn.say(filler);
    }, TOOL_FILLER_AFTER_MS);
  }
  const started = performance.now();
  let outcome: ToolOutcome | undefined;
  try {
    outcome = await model.tools.run(call, turn.signal);
    return outcome;
  } finally {
    clearTimeout(fillerTimer);
    await fillerSpeech;
    model.onToolCall?.(toolCallRecord(call, outcome, performance.now() - started));
  }
}

/** The record of a tool call; one that threw (the turn was cut short) has no outcome and counts as failed. */
export function toolCallRecord(call: LlmToolCall, outcome: ToolOutcome | undefined, durationMs: number): ToolCallRecord {
  const clip = (text: string) => (text.length > TOOL_RECORD_CHARS ? `${text.slice(0, TOOL_RECORD_CHARS)}…` : text);
  return {
    name: call.name,
    arguments: clip(call.arguments || '{}'),
    outcome: outcome?.kind ?? 'result',
    result: !outcome ? null : outcome.kind === 'result' ? clip(outcome.content) : outcome.kind === 'transfer' ? outcome.destination : null,
    failed: !outcome || (outcome.kind === 'result' && outcome.failed === true),
    duration_ms: Math.max(0, Math.round(durationMs)),
  };
}
