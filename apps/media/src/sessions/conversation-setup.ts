import { AgentTool, type ConversationSnapshot, fillPlaceholders, LlmSettings } from '@parley/common';
import type { ConversationSetup } from '../conversation/conversation';

/**
 * What the conversation of a call needs from its snapshot. The call's prompt is the system prompt as
 * the api rendered it; `context` stays data (the conversation gives it to the model in its own
 * message); `{{name}}` placeholders in the greeting and voicemail message are filled from it.
 */
export function conversationSetup(callId: string, snapshot: ConversationSnapshot, log: { warn(obj: object, msg: string): void }): ConversationSetup {
  const context = snapshot.context;
  let tools: AgentTool[] = [];
  for (const item of snapshot.tools) {
    const parsed = AgentTool.safeParse(item);
    if (parsed.success) tools.push(parsed.data);
    else log.warn({ tool: item }, 'invalid agent tool skipped');
  }
  if (snapshot.conversation?.mode === 'webhook') tools = webhookActions(tools);
  return {
    callId,
    prompt: snapshot.prompt,
    context,
    language: snapshot.language,
    voice: snapshot.voice,
    greeting: snapshot.initial_greeting ? fillPlaceholders(snapshot.initial_greeting, context) : null,
    voicemailAction: snapshot.voicemail_action,
    voicemailMessage: snapshot.voicemail_message ? fillPlaceholders(snapshot.voicemail_message, context) : null,
    tools,
    llm: LlmSettings.safeParse(snapshot.llm).data ?? {},
    maxDurationMs: snapshot.max_duration_seconds * 1000,
    detectVoicemail: snapshot.direction === 'outbound',
  };
}

/**
 * In webhook mode the endpoint's answers act through the built-in tools: end_call and send_dtmf always, transfer_call
 * to the destinations of the agent's transfer_call tool only (a transfer is a toll call: the agent says where to).
 * HTTP tools are the model's; the endpoint calls what it needs itself.
 */
function webhookActions(tools: AgentTool[]): AgentTool[] {
  const builtIn = tools.filter((t) => t.type !== 'http');
  if (!builtIn.some((t) => t.type === 'end_call')) builtIn.push({ type: 'end_call' });
  if (!builtIn.some((t) => t.type === 'send_dtmf')) builtIn.push({ type: 'send_dtmf' });
  return builtIn;
}
