import { AgentTool, type ConversationSnapshot, fillPlaceholders, LlmSettings } from '@parley/common';
import type { ConversationSetup } from '../conversation/conversation';

/**
 * What the conversation of a call needs from its snapshot. The call's prompt is the system prompt as
 * the api rendered it; `context` stays data (the conversation gives it to the model in its own
 * message); `{{name}}` placeholders in the greeting and voicemail message are filled from it.
 */
export function conversationSetup(callId: string, snapshot: ConversationSnapshot, log: { warn(obj: object, msg: string): void }): ConversationSetup {
  const context = snapshot.context;
  const tools: AgentTool[] = [];
  for (const item of snapshot.tools) {
    const parsed = AgentTool.safeParse(item);
    if (parsed.success) tools.push(parsed.data);
    else log.warn({ tool: item }, 'invalid agent tool skipped');
  }
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
