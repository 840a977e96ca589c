import { ConversationWebhookAnswer } from '@parley/common';

/** The endpoint answered something that is not a conversation webhook answer: the turn gets the fallback. */
export class WebhookAnswerError extends Error {
  override readonly name = 'WebhookAnswerError';
}

/** The content types an answer may stream in, besides one JSON object. */
const NDJSON = /^application\/(x-ndjson|jsonl|x-jsonlines|ndjson)\b/i;
const SSE = /^text\/event-stream\b/i;

/**
 * The pieces of a conversation webhook's answer, as they arrive: one JSON object (`application/json`), or streamed, one
 * object per line (NDJSON) or per Server-Sent Event (`data:` lines; `[DONE]` and comments ignored). Anything else, or
 * a piece that is not an answer, throws WebhookAnswerError naming what was wrong.
 */
export async function* webhookAnswerParts(res: Response): AsyncIterable<ConversationWebhookAnswer> {
  const type = res.headers.get('content-type') ?? '';
  if (!res.body) return;
  if (NDJSON.test(type)) {
    for await (const line of lines(res.body)) if (line.trim()) yield part(line, 'NDJSON line');
  } else if (SSE.test(type)) {
    yield* sseParts(res.body);
  } else if (/^application\/json\b/i.test(type) || type === '') {
    const text = await new Response(res.body).text();
    if (text.trim()) yield part(text, 'answer');
  } else {
    await res.body.cancel();
    throw new WebhookAnswerError(`the answer's content-type is ${type}: send application/json, application/x-ndjson or text/event-stream`);
  }
}

function part(text: string, what: string): ConversationWebhookAnswer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WebhookAnswerError(`the ${what} is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const parsed = ConversationWebhookAnswer.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WebhookAnswerError(`the ${what} is not an answer: ${issue.path.join('.') || '(root)'}: ${issue.message} (${JSON.stringify(text.slice(0, 120))})`);
  }
  return parsed.data;
}

async function* sseParts(body: ReadableStream<Uint8Array>): AsyncIterable<ConversationWebhookAnswer> {
  let data: string[] = [];
  for await (const line of lines(body)) {
    if (line === '') {
      const payload = data.join('\n');
      data = [];
      if (payload.trim() && payload.trim() !== '[DONE]') yield part(payload, 'event');
    } else if (line.startsWith('data:')) {
      data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    // `event:`, `id:`, `retry:` and `:` comments carry nothing an answer needs.
  }
  const payload = data.join('\n');
  if (payload.trim() && payload.trim() !== '[DONE]') yield part(payload, 'event');
}

/** The body's lines as they arrive (\n or \r\n), the last one even without its newline. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      yield buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered) yield buffered.replace(/\r$/, '');
}
