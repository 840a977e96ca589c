import { AgentTool, fillPlaceholders, LlmSettings } from '@parley/common';
import type { AgentEntity, CallEntity } from '@parley/db';
import type { ConversationSetup } from '../conversation/conversation';

export interface CallRecord {
  call: CallEntity;
  agent: AgentEntity;
}

/**
 * What the conversation of a call needs from its rows. The call's prompt is the system prompt as
 * the api rendered it; `context` stays data (the conversation gives it to the model in its own
 * message); `{{name}}` placeholders in the greeting and voicemail message are filled from it.
 */
export function conversationSetup({ call, agent }: CallRecord, log: { warn(obj: object, msg: string): void }): ConversationSetup {
  const context = call.context ?? {};
  const tools: AgentTool[] = [];
  for (const item of agent.tools ?? []) {
    const parsed = AgentTool.safeParse(item);
    if (parsed.success) tools.push(parsed.data);
    else log.warn({ tool: item }, 'invalid agent tool skipped');
  }
  return {
    callId: call.id,
    prompt: call.prompt,
    context,
    language: call.language || agent.language,
    voice: agent.voice,
    greeting: agent.initialGreeting ? fillPlaceholders(agent.initialGreeting, context) : null,
    voicemailAction: agent.voicemailAction,
    voicemailMessage: agent.voicemailMessage ? fillPlaceholders(agent.voicemailMessage, context) : null,
    tools,
    llm: LlmSettings.safeParse(agent.llm ?? {}).data ?? {},
    maxDurationMs: call.maxDurationSeconds * 1000,
    detectVoicemail: call.direction === 'outbound',
  };
}
