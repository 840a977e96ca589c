import type { Agent } from '@parley/common';
import type { AgentEntity } from '@parley/db';
import { maskedLlm } from './llm-settings';
import { maskedTools } from './tool-headers';

export function agentView(a: AgentEntity): Agent {
  return {
    id: a.id,
    object: 'agent',
    name: a.name,
    type: a.type,
    persona: a.persona,
    instructions: a.instructions,
    voice: a.voice,
    language: a.language,
    returns: a.returns,
    tools: maskedTools(a.tools),
    voicemail_action: a.voicemailAction,
    voicemail_message: a.voicemailMessage,
    initial_greeting: a.initialGreeting,
    webhook_url: a.webhookUrl,
    number_ids: a.numberIds,
    primary_number_id: a.primaryNumberId,
    max_duration_seconds: a.maxDurationSeconds,
    ring_timeout_seconds: a.ringTimeoutSeconds,
    llm: maskedLlm(a.llm),
    conversation: a.conversation,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
