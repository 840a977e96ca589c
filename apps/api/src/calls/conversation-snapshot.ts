import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type ConversationSnapshot, ConversationSnapshotReply, ConversationSnapshotRequest } from '@parley/common';
import { type AgentEntity, type CallEntity, CallsRepository, type ConversationAgentFields } from '@parley/db';
import { Bus, LOGGER, type Logger } from '@parley/service-kit';
import type { z } from 'zod';

/**
 * What the media service needs of a call to hold its conversation: the call row as created (prompt, context, language,
 * direction, limit, numbers, metadata) and its agent's voice, greeting, voicemail handling, tools (header values stay
 * sealed), model, and in webhook mode its endpoint with the account's webhook secret (sealed) that signs the requests.
 */
export function conversationSnapshot(call: CallEntity, agent: Pick<AgentEntity, 'id' | 'language' | ConversationAgentFields>, webhookSecret: string): ConversationSnapshot {
  const mode = agent.conversation;
  return {
    account_id: call.accountId,
    agent_id: agent.id,
    direction: call.direction,
    prompt: call.prompt,
    context: call.context ?? {},
    language: call.language || agent.language,
    voice: agent.voice,
    initial_greeting: agent.initialGreeting,
    voicemail_action: agent.voicemailAction,
    voicemail_message: agent.voicemailMessage,
    tools: agent.tools ?? [],
    llm: agent.llm ?? {},
    max_duration_seconds: call.maxDurationSeconds,
    ...(mode?.mode === 'webhook' ? { conversation: { mode: 'webhook' as const, url: mode.url, timeout_ms: mode.timeout_ms, secret: webhookSecret } } : {}),
    from_number: call.fromNumber,
    to_number: call.toNumber,
    metadata: call.metadata ?? {},
  };
}

/**
 * Answers a dialer that holds a live call without its snapshot: one it adopted after another dialer stopped, or one
 * dispatched by an api older than the snapshot in DispatchMessage.
 */
@Injectable()
export class ConversationSnapshots implements OnApplicationBootstrap {
  constructor(
    private readonly calls: CallsRepository,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.bus.serve(this.bus.subjects.conversationSnapshot, ConversationSnapshotRequest, ConversationSnapshotReply, (req) => this.snapshot(req), 'api');
  }

  async snapshot(req: z.infer<typeof ConversationSnapshotRequest>): Promise<z.infer<typeof ConversationSnapshotReply>> {
    const found = await this.calls.findForConversation(req.account_id, req.call_id);
    if (!found) {
      this.logger.warn({ call_id: req.call_id, account_id: req.account_id }, 'conversation snapshot asked for an unknown call (or one whose agent is gone)');
      return { ok: false, error: `call ${req.call_id} or its agent not found` };
    }
    return { ok: true, conversation: conversationSnapshot(found.call, found.agent, found.webhookSecret) };
  }
}
