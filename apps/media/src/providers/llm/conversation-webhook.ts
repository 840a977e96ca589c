import { Webhook } from 'standardwebhooks';
import type { ConversationWebhookRequest } from '@parley/common';
import { type Llm, type LlmChunk, type LlmMessage, type LlmRequest, ProviderError } from '../types';
import { webhookAnswerParts } from './webhook-answer';

export interface ConversationWebhookOptions {
  url: string;
  /** For the first words, and between two pieces of a streamed answer. */
  timeoutMs: number;
  /** The account's webhook secret (`whsec_...`), opened: signs every request. */
  secret: string;
  call: ConversationWebhookRequest['call'];
  /** Through the outbound guard, streamed. */
  fetch: typeof fetch;
  /** A turn the endpoint failed (the turn's fallback is spoken, the call goes on). */
  onError?: (turnId: string, message: string) => void;
}

/** What the model name is in the transcript for words the endpoint wrote. */
export const WEBHOOK_MODEL = 'webhook';

/**
 * The customer's endpoint in the model's place (an agent in webhook mode): each reply is a signed POST of the call,
 * the transcript so far and the caller's last words, whose answer is spoken as it streams in. Its actions (end the
 * call, transfer, DTMF) come out as the built-in tools' calls, which the turn runs once the words before them are said;
 * they are the answer, not questions, so no second request follows them in the same turn (`actsOnly`). Aborting the
 * request's signal (barge-in) closes the connection: the endpoint sees it, and the next request has a later turn id.
 */
export class ConversationWebhook implements Llm {
  readonly name = 'conversation_webhook';
  readonly actsOnly = true;
  private readonly signer: Webhook | null;
  private turns = 0;

  constructor(private readonly options: ConversationWebhookOptions) {
    this.signer = options.secret ? new Webhook(options.secret) : null;
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    const turnId = `${this.options.call.id}:${++this.turns}`;
    const body = JSON.stringify(this.requestFor(turnId, request.messages));
    const controller = new AbortController();
    const abort = () => controller.abort();
    request.signal.addEventListener('abort', abort);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.options.timeoutMs);
    };
    const fail = (message: string, cause?: unknown): never => {
      this.options.onError?.(turnId, message);
      throw new ProviderError(this.name, message, { cause });
    };
    try {
      if (!this.signer) return fail("the request cannot be signed: the account's webhook secret did not open (PARLEY_SECRET_KEY differs from the api's?)");
      arm();
      let res: Response;
      try {
        const at = new Date();
        res = await this.options.fetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, application/x-ndjson, text/event-stream',
            'user-agent': 'Parley',
            'webhook-id': turnId,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': this.signer.sign(turnId, at, body),
          },
          body,
          signal: controller.signal,
        });
      } catch (err) {
        if (request.signal.aborted) return;
        return fail(timedOut ? `no answer within ${this.options.timeoutMs} ms` : `the request failed: ${reason(err)}`, err);
      }
      if (res.status < 200 || res.status >= 300) {
        const text = await res.text().catch(() => '');
        return fail(`the endpoint answered ${res.status}${text ? `: ${JSON.stringify(text.slice(0, 200))}` : ''}`);
      }
      yield { type: 'model', model: WEBHOOK_MODEL };
      let calls = 0;
      try {
        for await (const piece of webhookAnswerParts(res)) {
          arm();
          if (piece.say) yield { type: 'text', text: piece.say };
          if (piece.send_dtmf) yield { type: 'tool_call', call: { id: `${turnId}:${calls++}`, name: 'send_dtmf', arguments: JSON.stringify({ digits: piece.send_dtmf }) } };
          if (piece.transfer_to) yield { type: 'tool_call', call: { id: `${turnId}:${calls++}`, name: 'transfer_call', arguments: JSON.stringify({ destination: piece.transfer_to }) } };
          if (piece.end_call) yield { type: 'tool_call', call: { id: `${turnId}:${calls++}`, name: 'end_call', arguments: '{}' } };
        }
      } catch (err) {
        if (request.signal.aborted) return;
        return fail(timedOut ? `the answer stopped for more than ${this.options.timeoutMs} ms` : reason(err), err);
      }
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', abort);
    }
  }

  private requestFor(turnId: string, messages: LlmMessage[]): ConversationWebhookRequest {
    const transcript: ConversationWebhookRequest['transcript'] = [];
    for (const m of messages) {
      if ((m.role === 'user' || m.role === 'assistant') && m.content) transcript.push({ role: m.role === 'user' ? 'user' : 'agent', text: m.content });
    }
    const spoke = transcript.some((t) => t.role === 'agent');
    const last = transcript.at(-1);
    return {
      type: spoke ? 'turn' : 'call.started',
      turn_id: turnId,
      call: this.options.call,
      transcript,
      utterance: last?.role === 'user' ? last.text : null,
    };
  }
}

function reason(err: unknown): string {
  const e = err as Error;
  return e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message;
}
