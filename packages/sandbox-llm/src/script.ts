/**
 * A script decides what the sandbox model answers. Rules are tried in order; the first whose `when` matches the
 * request (and that has uses left) produces the reply. Unmatched requests get the script's `fallback`, or the
 * built-in one (a JSON object of nulls for structured output, a short labelled sentence otherwise).
 */

export type JsonSchema = { [key: string]: unknown };

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | string;
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  name?: string;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonSchema; strict?: boolean };
}

/** The body of `POST /v1/chat/completions`, as far as the sandbox reads it. */
export interface ChatCompletionRequest {
  model?: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name?: string; schema?: JsonSchema; strict?: boolean } };
  [key: string]: unknown;
}

/** What a rule sees: the request plus the facts rules usually match on. */
export interface ScriptContext {
  request: ChatCompletionRequest;
  /** Text of the last user message ('' if none). */
  lastUserText: string;
  /** Text of every user message, in order. */
  userTexts: string[];
  /** Text of every assistant message, in order (what the agent already said). */
  assistantTexts: string[];
  /** Tool results (role `tool` messages) after the last user message. */
  toolResults: Array<{ toolCallId: string; content: string }>;
  /** Names of the tools offered in this request. */
  toolNames: string[];
  /** The JSON Schema asked for with `response_format: json_schema`, `{}` for `json_object`, else null. */
  jsonSchema: JsonSchema | null;
  /**
   * Turn of the conversation: the number of user messages in the request (0 when the agent speaks first). It is
   * derived from the request itself, so concurrent conversations never share a counter, and a tool round keeps the
   * turn of its user message.
   */
  turn: number;
  /** How many requests this server has answered before this one (all conversations). */
  requestIndex: number;
}

export interface ToolCallReply {
  name: string;
  /** An object (serialised) or a raw string (sent as is, e.g. to test malformed arguments). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export type Reply =
  | { text: string }
  | { toolCalls: ToolCallReply[]; text?: string }
  /** Serialised as the message content; a function gets the context (e.g. to read the transcript). */
  | { json: unknown }
  /** An HTTP error with an OpenAI-shaped error body. */
  | { fail: { status: number; message?: string } }
  /** Accepts the request and never answers (until the client gives up or the server closes). */
  | { hang: true };

export interface RuleMatch {
  /** Regex (or case-insensitive substring) tested against the last user message. */
  user?: RegExp | string;
  /** true: the request carries tool results after the last user message; false: it does not. */
  toolResults?: boolean;
  /** true: `response_format` asks for JSON; false: it does not. */
  responseFormat?: boolean;
  /** Exact turn, or a range. */
  turn?: number | { min?: number; max?: number };
  /** The request offers a tool of this name. */
  toolOffered?: string;
  /** Any other condition. */
  match?: (ctx: ScriptContext) => boolean;
}

export interface Rule {
  /** Shown in recorded requests (`matchedRule`). */
  name?: string;
  when?: RuleMatch;
  reply: Reply | ((ctx: ScriptContext) => Reply);
  /** The rule applies this many times, then is skipped (e.g. invalid JSON once, then a valid answer). */
  times?: number;
  /** Delay before the response headers (non-streamed) or before the first token (streamed). */
  firstTokenDelayMs?: number;
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
}

export interface Script {
  name?: string;
  rules: Rule[];
  fallback?: Reply | ((ctx: ScriptContext) => Reply);
  /** Model id reported by `GET /v1/models` and in completions (default `parley-sandbox`). */
  model?: string;
}

export function messageText(m: ChatMessage | undefined): string {
  if (!m || m.content == null) return '';
  if (typeof m.content === 'string') return m.content;
  return m.content.map((p) => p.text ?? '').join('');
}

export function buildContext(request: ChatCompletionRequest, requestIndex: number): ScriptContext {
  const messages = request.messages ?? [];
  const userTexts = messages.filter((m) => m.role === 'user').map(messageText);
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  const toolResults = messages
    .slice(lastUser + 1)
    .filter((m) => m.role === 'tool')
    .map((m) => ({ toolCallId: m.tool_call_id ?? '', content: messageText(m) }));
  const rf = request.response_format;
  const jsonSchema = rf?.type === 'json_schema' ? (rf.json_schema?.schema ?? {}) : rf?.type === 'json_object' ? {} : null;
  return {
    request,
    lastUserText: userTexts.at(-1) ?? '',
    userTexts,
    assistantTexts: messages.filter((m) => m.role === 'assistant').map(messageText),
    toolResults,
    toolNames: (request.tools ?? []).map((t) => t.function?.name).filter((n): n is string => typeof n === 'string'),
    jsonSchema,
    turn: userTexts.length,
    requestIndex,
  };
}

export function ruleMatches(when: RuleMatch | undefined, ctx: ScriptContext): boolean {
  if (!when) return true;
  if (when.user !== undefined) {
    const ok = typeof when.user === 'string' ? ctx.lastUserText.toLowerCase().includes(when.user.toLowerCase()) : when.user.test(ctx.lastUserText);
    if (!ok) return false;
  }
  if (when.toolResults !== undefined && when.toolResults !== ctx.toolResults.length > 0) return false;
  if (when.responseFormat !== undefined && when.responseFormat !== (ctx.jsonSchema !== null)) return false;
  if (when.turn !== undefined) {
    if (typeof when.turn === 'number' ? ctx.turn !== when.turn : (when.turn.min !== undefined && ctx.turn < when.turn.min) || (when.turn.max !== undefined && ctx.turn > when.turn.max)) return false;
  }
  if (when.toolOffered !== undefined && !ctx.toolNames.includes(when.toolOffered)) return false;
  if (when.match && !when.match(ctx)) return false;
  return true;
}

/** An object with every property of the schema set to null: the honest answer when nothing was scripted. */
export function nullsFor(schema: JsonSchema | null): Record<string, unknown> {
  const props = (schema?.properties ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(props).map((k) => [k, null]));
}

export function defaultFallback(ctx: ScriptContext): Reply {
  if (ctx.jsonSchema !== null) return { json: nullsFor(ctx.jsonSchema) };
  return { text: 'This is the Parley sandbox model; no scripted reply matched.' };
}
