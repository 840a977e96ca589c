import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What Parley POSTs to a conversation webhook (the contract is `ConversationWebhookRequest` in @parley/common). */
export interface BackendTurn {
  type: 'call.started' | 'turn';
  turn_id: string;
  call: { id: string; agent_id: string; direction: string; from_number: string | null; to_number: string | null; context: Record<string, unknown>; metadata: Record<string, unknown> };
  transcript: Array<{ role: 'agent' | 'user'; text: string }>;
  utterance: string | null;
}

/** How the test backend answers one request. */
export type BackendReply =
  | { json: Record<string, unknown> }
  /** Streamed, a piece every `delayMs` (default 50). */
  | { ndjson: Array<Record<string, unknown>>; delayMs?: number }
  | { sse: Array<Record<string, unknown>>; delayMs?: number }
  | { status: number; body?: string; contentType?: string }
  /** Headers, then nothing until the request is cancelled (or the test closes the backend). */
  | { hang: true }
  /** Waits, then answers. */
  | { afterMs: number; then: BackendReply };

export interface BackendRequest {
  headers: IncomingHttpHeaders;
  /** The parsed body (null if it was not JSON). */
  body: BackendTurn | null;
  /** The Standard Webhooks signature checked out with the secret. */
  verified: boolean;
  /** The caller closed the connection before the answer ended (barge-in). */
  aborted: boolean;
  receivedAt: number;
}

export interface ConversationBackend {
  url: string;
  requests: BackendRequest[];
  close(): Promise<void>;
}

/**
 * A customer's conversation webhook for tests: verifies each request's signature with the `standardwebhooks` package
 * and the account's secret, answers as `answer` says (JSON, NDJSON, SSE, an error, or never), and records every
 * request, with whether the caller gave up on it.
 */
export async function startConversationBackend(opts: { secret: string; answer: (turn: BackendTurn) => BackendReply | Promise<BackendReply>; port?: number }): Promise<ConversationBackend> {
  const verifier = new Webhook(opts.secret);
  const requests: BackendRequest[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString();
      let verified = true;
      try {
        verifier.verify(raw, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      let body: BackendTurn | null = null;
      try {
        body = JSON.parse(raw) as BackendTurn;
      } catch {
        body = null;
      }
      const record: BackendRequest = { headers: req.headers, body, verified, aborted: false, receivedAt: performance.now() };
      requests.push(record);
      let finished = false;
      res.on('close', () => {
        open.delete(res);
        if (!finished) record.aborted = true;
      });
      open.add(res);
      try {
        let reply = body ? await opts.answer(body) : { status: 400, body: 'not JSON' };
        while ('afterMs' in reply) {
          await new Promise((r) => setTimeout(r, (reply as { afterMs: number }).afterMs));
          reply = (reply as { then: BackendReply }).then;
        }
        if (res.destroyed) return;
        await send(res, reply, () => (finished = true));
      } catch (err) {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/conversation`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy();
        server.close(() => r());
      }),
  };
}

async function send(res: ServerResponse, reply: BackendReply, done: () => void): Promise<void> {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if ('json' in reply) {
    done();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
  } else if ('ndjson' in reply || 'sse' in reply) {
    const pieces = 'ndjson' in reply ? reply.ndjson : reply.sse;
    res.writeHead(200, { 'content-type': 'ndjson' in reply ? 'application/x-ndjson' : 'text/event-stream' });
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await pause(reply.delayMs ?? 50);
      if (res.destroyed) return;
      res.write('ndjson' in reply ? `${JSON.stringify(piece)}\n` : `data: ${JSON.stringify(piece)}\n\n`);
    }
    done();
    res.end();
  } else if ('status' in reply) {
    done();
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain' }).end(reply.body ?? '');
  } else if ('hang' in reply) {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.flushHeaders();
  }
}
