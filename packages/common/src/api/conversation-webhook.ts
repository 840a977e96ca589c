import { z } from 'zod';
import { CALL_DIRECTIONS } from '../enums';

/**
 * What an agent in webhook mode POSTs to its endpoint at each end of the caller's turn (and, when the agent has no
 * initial_greeting, once when the call starts), signed with Standard Webhooks headers (`webhook-id` = `turn_id`).
 */
export const ConversationWebhookRequest = z.object({
  type: z.enum(['call.started', 'turn']).describe('`call.started`: the agent has not spoken yet and its answer is spoken first'),
  turn_id: z.string().describe('unique per request of the call; a request cancelled by barge-in is followed by one with a later id'),
  call: z.object({
    id: z.string().uuid(),
    agent_id: z.string().uuid(),
    direction: z.enum(CALL_DIRECTIONS),
    from_number: z.string().nullable(),
    to_number: z.string().nullable(),
    context: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
  }),
  transcript: z.array(z.object({ role: z.enum(['agent', 'user']), text: z.string() })).describe('the conversation so far, oldest first; what the caller interrupted ends with "[interrupted by the caller]"'),
  utterance: z.string().nullable().describe("the caller's last words, which this request answers (null for call.started)"),
});
export type ConversationWebhookRequest = z.infer<typeof ConversationWebhookRequest>;

/**
 * One answer, or one piece of a streamed answer (a line of NDJSON, or the data of a Server-Sent Event): `say` is spoken
 * as it comes, pieces one after another; the actions run once the words before them are said.
 */
export const ConversationWebhookAnswer = z.strictObject({
  say: z.string().max(10_000).nullable().optional(),
  end_call: z.boolean().nullable().optional().describe('hang up once the words are said'),
  transfer_to: z.string().min(1).max(256).nullable().optional().describe("transfer the call: one of the destinations of the agent's transfer_call tool"),
  send_dtmf: z.string().regex(/^[0-9*#A-Da-d]+$/, 'must be DTMF digits: 0-9, *, #, A-D').nullable().optional(),
});
export type ConversationWebhookAnswer = z.infer<typeof ConversationWebhookAnswer>;
