import { Injectable } from '@nestjs/common';
import { type AgentCreate, type AgentTool, type AgentUpdate, ErrorCodes } from '@parley/common';
import { type AgentEntity, type AgentPatch, AgentsRepository, type EntityManager, PhoneNumbersRepository, SecretBox } from '@parley/db';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { cursorAfter } from '../http/pagination';
import { llmToStore } from './llm-settings';
import { toolsToStore } from './tool-headers';

type AgentShape = Pick<AgentEntity, 'type' | 'numberIds' | 'primaryNumberId' | 'voicemailAction' | 'voicemailMessage' | 'tools'>;

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly numbers: PhoneNumbersRepository,
    private readonly contexts: CallContexts,
    private readonly secrets: SecretBox,
  ) {}

  async create(accountId: string, input: AgentCreate): Promise<AgentEntity> {
    const id = newId.agent();
    await this.agents.serialized(accountId, async (m) => {
      const agent = {
        id,
        accountId,
        name: input.name,
        type: input.type,
        persona: input.persona,
        instructions: input.instructions,
        voice: input.voice,
        language: input.language,
        returns: input.returns,
        tools: toolsToStore(input.tools, [], this.secrets),
        voicemailAction: input.voicemail_action,
        voicemailMessage: input.voicemail_message,
        initialGreeting: input.initial_greeting,
        webhookUrl: input.webhook_url,
        numberIds: dedupe(input.number_ids),
        primaryNumberId: input.primary_number_id ?? input.number_ids[0] ?? null,
        maxDurationSeconds: input.max_duration_seconds,
        ringTimeoutSeconds: input.ring_timeout_seconds,
        llm: llmToStore(input.llm, {}, this.secrets),
        conversation: input.conversation,
      };
      await this.validate(m, accountId, agent, null);
      await this.agents.with(m).insert(agent);
    });
    return this.get(accountId, id);
  }

  async get(accountId: string, id: string): Promise<AgentEntity> {
    if (!isUuid(id)) throw ApiError.notFound('agent', id, 'id');
    const agent = await this.agents.get(accountId, id);
    if (!agent) throw ApiError.notFound('agent', id, 'id');
    return agent;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    const after = await cursorAfter(page.starting_after, (id) => (isUuid(id) ? this.agents.cursor(accountId, id) : Promise.resolve(null)));
    return this.agents.list(accountId, { limit: page.limit, after });
  }

  async update(accountId: string, id: string, input: AgentUpdate): Promise<AgentEntity> {
    // Like get: a non-UUID id cannot exist, and Postgres would refuse it with a 500.
    if (!isUuid(id)) throw ApiError.notFound('agent', id, 'id');
    await this.agents.serialized(accountId, async (m) => {
      const agents = this.agents.with(m);
      const agent = await agents.get(accountId, id);
      if (!agent) throw ApiError.notFound('agent', id, 'id');
      const patch: AgentPatch = {};
      if (input.name !== undefined) patch.name = input.name;
      if (input.persona !== undefined) patch.persona = input.persona;
      if (input.instructions !== undefined) patch.instructions = input.instructions;
      if (input.voice !== undefined) patch.voice = input.voice;
      if (input.language !== undefined) patch.language = input.language;
      if (input.returns !== undefined) patch.returns = input.returns;
      if (input.tools !== undefined) patch.tools = toolsToStore(input.tools, agent.tools, this.secrets);
      if (input.voicemail_action !== undefined) patch.voicemailAction = input.voicemail_action;
      if (input.voicemail_message !== undefined) patch.voicemailMessage = input.voicemail_message;
      if (input.initial_greeting !== undefined) patch.initialGreeting = input.initial_greeting;
      if (input.webhook_url !== undefined) patch.webhookUrl = input.webhook_url;
      if (input.max_duration_seconds !== undefined) patch.maxDurationSeconds = input.max_duration_seconds;
      if (input.ring_timeout_seconds !== undefined) patch.ringTimeoutSeconds = input.ring_timeout_seconds;
      if (input.llm !== undefined) patch.llm = llmToStore(input.llm, agent.llm, this.secrets);
      if (input.conversation !== undefined) patch.conversation = input.conversation;
      if (input.number_ids !== undefined) {
        patch.numberIds = dedupe(input.number_ids);
        // A primary that is no longer attached falls back to the first number, unless a new primary is given.
        if (input.primary_number_id === undefined && agent.primaryNumberId && !patch.numberIds.includes(agent.primaryNumberId)) {
          patch.primaryNumberId = patch.numberIds[0] ?? null;
        }
        if (input.primary_number_id === undefined && !agent.primaryNumberId) patch.primaryNumberId = patch.numberIds[0] ?? null;
      }
      if (input.primary_number_id !== undefined) patch.primaryNumberId = input.primary_number_id;
      await this.validate(m, accountId, { ...agent, ...patch }, id);
      if (Object.keys(patch).length) await agents.update(accountId, id, patch);
    });
    this.contexts.forget(accountId);
    return this.get(accountId, id);
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.get(accountId, id);
    const live = await this.agents.liveCallCount(accountId, id);
    if (live > 0) throw ApiError.conflict(ErrorCodes.resourceInUse, `Agent '${id}' has ${live} call(s) in progress; end them or wait`, 'id');
    await this.agents.delete(accountId, id);
    this.contexts.forget(accountId);
  }

  /** Rules that span fields and rows: attached numbers, primary number, voicemail message, unique tool names. */
  private async validate(m: EntityManager, accountId: string, a: AgentShape, selfId: string | null): Promise<void> {
    if (a.numberIds.length) {
      const known = await this.numbers.with(m).existingIds(accountId, a.numberIds);
      const missing = a.numberIds.find((n) => !known.has(n));
      if (missing) throw ApiError.invalid(`No such phone number in this account: '${missing}'`, 'number_ids');
    }
    if (a.type === 'outbound' && a.numberIds.length === 0) throw ApiError.invalid('An outbound agent needs at least one number in number_ids (its caller ID)', 'number_ids');
    if (a.primaryNumberId !== null && !a.numberIds.includes(a.primaryNumberId)) throw ApiError.invalid('primary_number_id must be one of number_ids', 'primary_number_id');
    if (a.voicemailAction === 'leave_message' && !a.voicemailMessage?.trim()) throw ApiError.invalid('voicemail_action "leave_message" needs a voicemail_message', 'voicemail_message');
    const names = new Set<string>();
    for (const tool of a.tools as AgentTool[]) {
      const name = tool.type === 'http' ? tool.name : tool.type;
      if (names.has(name)) throw ApiError.invalid(`Two tools are named '${name}'`, 'tools');
      names.add(name);
    }
    if (a.type === 'inbound' && a.numberIds.length) {
      const holder = await this.agents.with(m).inboundHolder(accountId, a.numberIds, selfId);
      if (holder) throw ApiError.conflict(ErrorCodes.numberTaken, `Number '${holder.numberId}' already answers for inbound agent '${holder.agentId}'`, 'number_ids');
    }
  }
}

function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}

export function isUuid(v: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}
