import { describe, expect, it } from 'vitest';
import { WebhookAnswerError, webhookAnswerParts } from './webhook-answer';

/** A response whose body arrives in these chunks, in order (split anywhere, as the network does). */
function response(contentType: string, ...chunks: string[]): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': contentType } });
}

async function parts(res: Response) {
  const out = [];
  for await (const p of webhookAnswerParts(res)) out.push(p);
  return out;
}

describe('webhookAnswerParts', () => {
  it('reads one JSON answer', async () => {
    expect(await parts(response('application/json; charset=utf-8', '{"say":"Hello there.","end_call":false,"transfer_to":null,"send_dtmf":null}'))).toEqual([
      { say: 'Hello there.', end_call: false, transfer_to: null, send_dtmf: null },
    ]);
  });

  it('reads NDJSON pieces as they come, lines split across chunks, CRLF or not, the last without a newline', async () => {
    expect(await parts(response('application/x-ndjson', '{"say":"One. "}\r\n{"sa', 'y":"Two."}\n\n', '{"end_call":true}'))).toEqual([{ say: 'One. ' }, { say: 'Two.' }, { end_call: true }]);
  });

  it('reads Server-Sent Events: data lines joined, comments, event names and [DONE] ignored', async () => {
    const sse = ': keep-alive\n\nevent: answer\ndata: {"say":"Hi"}\n\nid: 2\ndata: {"say":" there.",\ndata: "send_dtmf":"12#"}\n\ndata: [DONE]\n\n';
    expect(await parts(response('text/event-stream', sse.slice(0, 30), sse.slice(30)))).toEqual([{ say: 'Hi' }, { say: ' there.', send_dtmf: '12#' }]);
  });

  it('refuses garbage with a reason: not JSON, not an answer, an unknown field, other content types', async () => {
    await expect(parts(response('application/json', '<html>oops</html>'))).rejects.toThrow(/answer is not JSON: "<html>oops<\/html>"/);
    await expect(parts(response('application/x-ndjson', '{"say":"ok"}\n{"say":42}\n'))).rejects.toThrow(/NDJSON line is not an answer: say:/);
    await expect(parts(response('application/json', '{"text":"hello"}'))).rejects.toThrow(WebhookAnswerError);
    await expect(parts(response('application/json', '{"send_dtmf":"call me"}'))).rejects.toThrow(/send_dtmf: must be DTMF digits/);
    await expect(parts(response('text/html', '<p>hi</p>'))).rejects.toThrow(/content-type is text\/html/);
  });
});
