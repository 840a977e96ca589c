import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildContext,
  type ChatCompletionRequest,
  type ChatMessage,
  defaultFallback,
  type Reply,
  type Rule,
  ruleMatches,
  type Script,
  type ScriptContext,
  type ToolCallReply,
} from './script';

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (null for GET or an unparsable body). */
  body: ChatCompletionRequest | null;
  /** Name (or index) of the rule that answered; `fallback` when none matched. */
  matchedRule: string | null;
  /** Convenience views of the body. */
  messages: ChatMessage[];
  toolNames: string[];
  lastUserText: string;
  turn: number;
  stream: boolean;
}

export interface SandboxLlmOptions {
  port?: number;
  host?: string;
  script?: Script;
  /** Requests to keep (oldest dropped first); default 10,000. */
  maxRecorded?: number;
}

export interface SandboxLlm {
  /** Base URL ending in `/v1`, ready for `new OpenAI({ baseURL })`. */
  url: string;
  port: number;
  /** Every request received, oldest first (chat completions, model listings, unknown routes). */
  requests: RecordedRequest[];
  /** Only the chat completion requests. */
  completions(): RecordedRequest[];
  setScript(script: Script): void;
  clearRequests(): void;
  close(): Promise<void>;
}

const DEFAULT_MODEL = 'parley-sandbox';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Splits text into small pieces (a word and its trailing space), as a real model streams tokens. */
function textPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Splits a JSON arguments string into fragments, so clients must concatenate them. */
function argumentFragments(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 8) out.push(args.slice(i, i + 8));
  return out;
}

function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function openAiError(res: ServerResponse, status: number, message: string, type = 'invalid_request_error'): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

interface Resolved {
  reply: Reply;
  rule: Rule | null;
  name: string;
}

/** Starts the scripted OpenAI-compatible server. */
export async function startSandboxLlm(opts: SandboxLlmOptions = {}): Promise<SandboxLlm> {
  let script: Script = opts.script ?? { rules: [] };
  let uses = new Map<Rule, number>();
  const requests: RecordedRequest[] = [];
  const maxRecorded = opts.maxRecorded ?? 10_000;
  let completionCount = 0;

  const resolve = (ctx: ScriptContext): Resolved => {
    for (const [i, rule] of script.rules.entries()) {
      const used = uses.get(rule) ?? 0;
      if (rule.times !== undefined && used >= rule.times) continue;
      if (!ruleMatches(rule.when, ctx)) continue;
      uses.set(rule, used + 1);
      const reply = typeof rule.reply === 'function' ? rule.reply(ctx) : rule.reply;
      return { reply, rule, name: rule.name ?? `rule ${i}` };
    }
    const fb = script.fallback;
    return { reply: fb === undefined ? defaultFallback(ctx) : typeof fb === 'function' ? fb(ctx) : fb, rule: null, name: 'fallback' };
  };

  const record = (r: RecordedRequest) => {
    requests.push(r);
    if (requests.length > maxRecorded) requests.splice(0, requests.length - maxRecorded);
  };

  const handleCompletion = async (req: IncomingMessage, res: ServerResponse, raw: string, aborted: AbortSignal) => {
    let body: ChatCompletionRequest;
    try {
      body = JSON.parse(raw) as ChatCompletionRequest;
    } catch {
      record(baseRecord(req, null, null));
      return openAiError(res, 400, 'request body is not valid JSON');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      record(baseRecord(req, body, null));
      return openAiError(res, 400, "'messages' must be a non-empty array");
    }
    const ctx = buildContext(body, completionCount++);
    const { reply, rule, name } = resolve(ctx);
    record({ ...baseRecord(req, body, name), toolNames: ctx.toolNames, lastUserText: ctx.lastUserText, turn: ctx.turn });

    if ('hang' in reply) return; // the response stays open until the client or close() ends it
    await sleep(rule?.firstTokenDelayMs ?? 0, aborted);
    if (aborted.aborted) return;
    if ('fail' in reply) return openAiError(res, reply.fail.status, reply.fail.message ?? `scripted failure (${reply.fail.status})`, reply.fail.status >= 500 ? 'server_error' : 'invalid_request_error');

    const model = body.model ?? script.model ?? DEFAULT_MODEL;
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const content = 'json' in reply ? JSON.stringify(reply.json) : 'text' in reply && reply.text !== undefined ? reply.text : '';
    const toolCalls = 'toolCalls' in reply ? reply.toolCalls.map((t: ToolCallReply) => ({ id: t.id ?? `call_${randomBytes(8).toString('hex')}`, name: t.name, arguments: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments) })) : [];
    const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const promptTokens = estimateTokens(JSON.stringify(body.messages));
    const completionTokens = estimateTokens(content + toolCalls.map((t) => t.name + t.arguments).join(''));
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        system_fingerprint: 'parley-sandbox',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: content === '' && toolCalls.length > 0 ? null : content,
              refusal: null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) } : {}),
            },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'parley-sandbox', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const gap = rule?.chunkDelayMs ?? 0;
    const write = async (s: string) => {
      if (aborted.aborted) return;
      res.write(s);
      if (gap > 0) await sleep(gap, aborted);
    };
    await write(chunk({ role: 'assistant', content: '', refusal: null }));
    for (const piece of textPieces(content)) await write(chunk({ content: piece }));
    for (const [index, t] of toolCalls.entries()) {
      await write(chunk({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }));
      for (const frag of argumentFragments(t.arguments)) await write(chunk({ tool_calls: [{ index, function: { arguments: frag } }] }));
    }
    await write(chunk({}, finishReason));
    if (body.stream_options?.include_usage) await write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    if (!aborted.aborted) res.end('data: [DONE]\n\n');
  };

  const baseRecord = (req: IncomingMessage, body: ChatCompletionRequest | null, matchedRule: string | null): RecordedRequest => ({
    at: new Date().toISOString(),
    method: req.method ?? 'GET',
    path: (req.url ?? '/').split('?')[0]!,
    headers: { ...req.headers },
    body,
    matchedRule,
    messages: body?.messages ?? [],
    toolNames: [],
    lastUserText: '',
    turn: 0,
    stream: body?.stream === true,
  });

  const server = createServer((req, res) => {
    const aborter = new AbortController();
    res.on('close', () => aborter.abort());
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      const raw = await readBody(req);
      if (req.method === 'POST' && path === '/v1/chat/completions') return handleCompletion(req, res, raw, aborter.signal);
      record(baseRecord(req, null, null));
      if (req.method === 'GET' && path === '/v1/models') {
        const model = script.model ?? DEFAULT_MODEL;
        return sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'parley-sandbox' }] });
      }
      if (req.method === 'GET' && path === '/sandbox/requests') return sendJson(res, 200, { requests: requests.filter((r) => r.path !== '/sandbox/requests') });
      return openAiError(res, 404, `no route ${req.method} ${path}`);
    })().catch((err: unknown) => {
      if (!res.headersSent) openAiError(res, 500, `sandbox error: ${(err as Error).message}`, 'server_error');
      else res.destroy();
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    completions: () => requests.filter((r) => r.path === '/v1/chat/completions'),
    setScript(next: Script) {
      script = next;
      uses = new Map();
    },
    clearRequests() {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
