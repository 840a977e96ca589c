import type { AgentTool } from '@parley/common';
import type { LlmToolCall, LlmToolSpec } from '../providers/types';

/** What a tool call leads to: its result for the model, and whether the call itself ends or moves. */
export type ToolOutcome =
  | { kind: 'result'; content: string; failed?: boolean }
  | { kind: 'end_call' }
  | { kind: 'transfer'; destination: string };

export interface DtmfSender {
  sendDtmf(digits: string): Promise<void>;
}

type HttpTool = Extract<AgentTool, { type: 'http' }>;

const MAX_RESULT_CHARS = 4000;

/**
 * The tools one agent offers its model: the built-in end_call, transfer_call and send_dtmf, and
 * the agent's HTTP tools (called with the model's arguments, the response fed back as text).
 */
export class AgentTools {
  private readonly byName = new Map<string, AgentTool>();

  constructor(
    tools: AgentTool[],
    private readonly dtmf: DtmfSender,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    for (const tool of tools) this.byName.set(toolName(tool), tool);
  }

  get(name: string): AgentTool | undefined {
    return this.byName.get(name);
  }

  specs(): LlmToolSpec[] {
    return [...this.byName.values()].map(toolSpec);
  }

  async run(call: LlmToolCall, signal: AbortSignal): Promise<ToolOutcome> {
    const tool = this.byName.get(call.name);
    if (!tool) return { kind: 'result', content: JSON.stringify({ error: `unknown tool ${call.name}` }), failed: true };
    let args: Record<string, unknown>;
    try {
      const parsed = JSON.parse(call.arguments || '{}') as unknown;
      args = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return { kind: 'result', content: JSON.stringify({ error: 'the arguments were not valid JSON' }), failed: true };
    }
    switch (tool.type) {
      case 'end_call':
        return { kind: 'end_call' };
      case 'transfer_call': {
        const destination = typeof args.destination === 'string' ? args.destination : tool.destinations[0]!;
        if (!tool.destinations.includes(destination)) return { kind: 'result', content: JSON.stringify({ error: `destination must be one of ${tool.destinations.join(', ')}` }), failed: true };
        return { kind: 'transfer', destination };
      }
      case 'send_dtmf': {
        const digits = typeof args.digits === 'string' ? args.digits : '';
        if (!/^[0-9*#A-Da-d]+$/.test(digits)) return { kind: 'result', content: JSON.stringify({ error: 'digits must be 0-9, *, #, A-D' }), failed: true };
        try {
          await this.dtmf.sendDtmf(digits);
          return { kind: 'result', content: JSON.stringify({ sent: digits }) };
        } catch (err) {
          return { kind: 'result', content: JSON.stringify({ error: `could not send DTMF: ${(err as Error).message}` }), failed: true };
        }
      }
      case 'http':
        return this.callHttp(tool, args, signal);
    }
  }

  private async callHttp(tool: HttpTool, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    const timeout = AbortSignal.timeout(tool.timeout_ms);
    const both = AbortSignal.any([signal, timeout]);
    let url = tool.url;
    const init: RequestInit = { method: tool.method, headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', ...tool.headers }, signal: both };
    if (tool.method === 'GET' || tool.method === 'DELETE') {
      const u = new URL(tool.url);
      for (const [k, v] of Object.entries(args)) u.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      url = u.toString();
    } else {
      init.body = JSON.stringify(args);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    try {
      const res = await this.fetchImpl(url, init);
      const text = (await res.text()).slice(0, MAX_RESULT_CHARS);
      if (!res.ok) return { kind: 'result', content: JSON.stringify({ error: `HTTP ${res.status}`, body: text }), failed: true };
      return { kind: 'result', content: text || JSON.stringify({ ok: true }) };
    } catch (err) {
      if (signal.aborted) throw err;
      const message = timeout.aborted ? `no answer within ${tool.timeout_ms} ms` : (err as Error).message;
      return { kind: 'result', content: JSON.stringify({ error: `the ${tool.name} tool failed: ${message}` }), failed: true };
    }
  }
}

export function toolName(tool: AgentTool): string {
  return tool.type === 'http' ? tool.name : tool.type;
}

function toolSpec(tool: AgentTool): LlmToolSpec {
  switch (tool.type) {
    case 'end_call':
      return { name: 'end_call', description: tool.description ?? 'End the call. Say goodbye in the same reply before calling it.', parameters: { type: 'object', properties: {}, additionalProperties: false } };
    case 'transfer_call':
      return {
        name: 'transfer_call',
        description: tool.description ?? 'Transfer the caller to a person or another number.',
        parameters: { type: 'object', properties: { destination: { type: 'string', enum: tool.destinations } }, required: ['destination'], additionalProperties: false },
      };
    case 'send_dtmf':
      return {
        name: 'send_dtmf',
        description: tool.description ?? 'Press keys on the phone keypad (e.g. to navigate a phone menu).',
        parameters: { type: 'object', properties: { digits: { type: 'string', pattern: '^[0-9*#A-D]+$' } }, required: ['digits'], additionalProperties: false },
      };
    case 'http':
      return { name: tool.name, description: tool.description, parameters: tool.parameters };
  }
}
