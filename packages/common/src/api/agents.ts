import { z } from 'zod';
import { AGENT_TYPES, VOICEMAIL_ACTIONS } from '../enums';
import { normalizeReturns, ReturnsSchemaError } from '../returns';
import { HttpUrl, JsonObject, storedJsonObject, Text, Timestamp } from './primitives';

/**
 * What the api answers in place of every HTTP tool header value: header values are write-only (stored encrypted,
 * often `Authorization: Bearer ...`). A PATCH that sends this back as a value keeps that header's stored value.
 */
export const TOOL_HEADER_MASK = '********';

const ToolName = Text.regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'must be 1-64 letters, digits, _ or -');

export const HttpTool = z.strictObject({
  type: z.literal('http'),
  name: ToolName,
  description: Text.min(1).max(1024),
  parameters: storedJsonObject('JSON Schema of the arguments').default({ type: 'object', properties: {} }),
  url: HttpUrl,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z
    .record(Text, Text)
    .optional()
    .describe(`sent with every request; write-only: answered as "${TOOL_HEADER_MASK}" per value. In a PATCH, a value of "${TOOL_HEADER_MASK}", or no headers at all, keeps the stored values of the tool with the same name; {} removes them`),
  timeout_ms: z.number().int().min(100).max(30_000).default(5000),
  speak_while_waiting: Text.max(200).nullable().default(null).describe('said if the tool takes longer than a moment'),
});
export const EndCallTool = z.strictObject({ type: z.literal('end_call'), description: Text.max(1024).optional() });
export const TransferCallTool = z.strictObject({
  type: z.literal('transfer_call'),
  description: Text.max(1024).optional(),
  destinations: z.array(Text.min(1)).min(1).describe('E.164 numbers or SIP URIs the agent may transfer to'),
});
export const SendDtmfTool = z.strictObject({ type: z.literal('send_dtmf'), description: Text.max(1024).optional() });
export const AgentTool = z.discriminatedUnion('type', [HttpTool, EndCallTool, TransferCallTool, SendDtmfTool]);
export type AgentTool = z.infer<typeof AgentTool>;

/** What the api answers in place of an agent's model `api_key`: write-only, like HTTP tool header values. */
export const LLM_API_KEY_MASK = TOOL_HEADER_MASK;

/**
 * The model an agent thinks with. Without `base_url` it is the service's (`LLM_*` settings), with `model`,
 * `temperature` and `max_tokens` applied to it; with one, the agent's own OpenAI-compatible server, called through the
 * same outbound-address guard as webhooks and HTTP tools.
 */
export const LlmSettings = z.strictObject({
  base_url: HttpUrl.optional().describe('an OpenAI-compatible server for this agent, e.g. "http://10.0.0.5:11434/v1"; unset: the service-wide LLM_BASE_URL'),
  api_key: Text.min(1)
    .max(4096)
    .nullable()
    .optional()
    .describe(`the key for base_url; write-only: answered as "${LLM_API_KEY_MASK}". In a PATCH, "${LLM_API_KEY_MASK}" or no api_key keeps the stored key while base_url stays the same (a new base_url needs the key again); null removes it`),
  model: Text.min(1).max(200).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(4096).optional(),
  extraction_model: Text.min(1)
    .max(200)
    .optional()
    .describe("the model that extracts `returns` on the agent's base_url (default: model); without base_url, extraction uses the service's extractor settings"),
});
export type LlmSettings = z.infer<typeof LlmSettings>;

/** The agent thinks with a model: the service's or its own (`llm`). */
export const HostedConversation = z.strictObject({ mode: z.literal('hosted') });
/**
 * The customer's endpoint answers each of the caller's turns (README, "Conversation webhooks"): a signed POST per turn,
 * answered with JSON or streamed (NDJSON or Server-Sent Events).
 */
export const WebhookConversation = z.strictObject({
  mode: z.literal('webhook'),
  url: HttpUrl.describe('your endpoint; called through the outbound guard like webhooks and HTTP tools'),
  timeout_ms: z.number().int().min(500).max(30_000).default(8000).describe('how long to wait for the first words (and, streamed, between two pieces of the answer) before the spoken fallback'),
});
export const AgentConversation = z.discriminatedUnion('mode', [HostedConversation, WebhookConversation]);
export type AgentConversation = z.infer<typeof AgentConversation>;

export const ReturnsInput = storedJsonObject('the result to extract: JSON Schema or the short form').superRefine((value, ctx) => {
  try {
    normalizeReturns(value);
  } catch (err) {
    if (err instanceof ReturnsSchemaError) ctx.addIssue({ code: 'custom', message: err.message });
    else throw err;
  }
});

const agentFields = {
  name: Text.trim().min(1).max(128),
  type: z.enum(AGENT_TYPES),
  persona: Text.max(20_000).nullable().default(null),
  instructions: Text.max(50_000).nullable().default(null),
  voice: Text.max(128).nullable().default(null),
  language: Text.regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'must be a language tag such as "en" or "en-US"').default('en'),
  returns: ReturnsInput.nullable().default(null),
  tools: z.array(AgentTool).max(64).default([]),
  voicemail_action: z.enum(VOICEMAIL_ACTIONS).default('hangup'),
  voicemail_message: Text.max(2000).nullable().default(null),
  initial_greeting: Text.max(2000).nullable().default(null),
  webhook_url: HttpUrl.nullable().default(null),
  number_ids: z.array(Text.min(1)).max(100).default([]),
  primary_number_id: Text.min(1).nullable().default(null),
  max_duration_seconds: z.number().int().min(10).max(14_400).default(600),
  ring_timeout_seconds: z.number().int().min(5).max(300).default(30),
  llm: LlmSettings.default({}),
  conversation: AgentConversation.default({ mode: 'hosted' }).describe('who answers the caller: the model (`hosted`) or your endpoint (`webhook`)'),
};

export const AgentCreate = z.strictObject(agentFields);
export type AgentCreate = z.infer<typeof AgentCreate>;

export const AgentUpdate = z
  .strictObject({
    name: agentFields.name,
    persona: agentFields.persona.unwrap(),
    instructions: agentFields.instructions.unwrap(),
    voice: agentFields.voice.unwrap(),
    language: agentFields.language.unwrap(),
    returns: ReturnsInput.nullable(),
    tools: z.array(AgentTool).max(64),
    voicemail_action: z.enum(VOICEMAIL_ACTIONS),
    voicemail_message: agentFields.voicemail_message.unwrap(),
    initial_greeting: agentFields.initial_greeting.unwrap(),
    webhook_url: HttpUrl.nullable(),
    number_ids: agentFields.number_ids.unwrap(),
    primary_number_id: agentFields.primary_number_id.unwrap(),
    max_duration_seconds: z.number().int().min(10).max(14_400),
    ring_timeout_seconds: z.number().int().min(5).max(300),
    llm: LlmSettings,
    conversation: AgentConversation,
  })
  .partial();
export type AgentUpdate = z.infer<typeof AgentUpdate>;

export const Agent = z.object({
  id: z.string().uuid(),
  object: z.literal('agent'),
  name: z.string(),
  type: z.enum(AGENT_TYPES),
  persona: z.string().nullable(),
  instructions: z.string().nullable(),
  voice: z.string().nullable(),
  language: z.string(),
  returns: JsonObject.nullable(),
  tools: z.array(AgentTool),
  voicemail_action: z.enum(VOICEMAIL_ACTIONS),
  voicemail_message: z.string().nullable(),
  initial_greeting: z.string().nullable(),
  webhook_url: z.string().nullable(),
  number_ids: z.array(z.string()),
  primary_number_id: z.string().nullable(),
  max_duration_seconds: z.number().int(),
  ring_timeout_seconds: z.number().int(),
  llm: LlmSettings,
  conversation: AgentConversation,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Agent = z.infer<typeof Agent>;
