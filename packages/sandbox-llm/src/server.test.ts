import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appointmentReminderScript, extractAppointment } from './appointment-reminder';
import { type SandboxLlm, startSandboxLlm } from './server';

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'lookup_order', description: 'find an order', parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } } },
  { type: 'function', function: { name: 'end_call', parameters: { type: 'object', properties: {} } } },
];

describe('sandbox LLM with the openai SDK', () => {
  let llm: SandboxLlm;
  let client: OpenAI;

  beforeAll(async () => {
    llm = await startSandboxLlm();
    client = new OpenAI({ baseURL: llm.url, apiKey: 'sk-sandbox', maxRetries: 0 });
  });
  afterAll(() => llm.close());
  beforeEach(() => llm.clearRequests());

  it('answers a non-streamed completion and records what was sent', async () => {
    llm.setScript({ rules: [{ name: 'greet', when: { user: /hello/i }, reply: { text: 'Hi there, how can I help?' } }] });
    const res = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'Hello!' }], tools });
    expect(res.choices[0]!.message.content).toBe('Hi there, how can I help?');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.model).toBe('m1');
    expect(res.usage!.total_tokens).toBeGreaterThan(0);
    const [rec] = llm.completions();
    expect(rec!.matchedRule).toBe('greet');
    expect(rec!.toolNames).toEqual(['lookup_order', 'end_call']);
    expect(rec!.messages[0]).toEqual({ role: 'system', content: 'be nice' });
    expect(rec!.headers.authorization).toBe('Bearer sk-sandbox');
  });

  it('streams text in several content deltas ending with [DONE]', async () => {
    llm.setScript({ rules: [{ reply: { text: 'One two three four five.' } }] });
    const stream = await client.chat.completions.create({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count' }] });
    const pieces: string[] = [];
    let finish: string | null = null;
    let usage = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage.total_tokens;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) pieces.push(choice.delta.content);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe('One two three four five.');
    expect(finish).toBe('stop');
    expect(usage).toBeGreaterThan(0);
    expect(llm.completions()[0]!.stream).toBe(true);
  });

  it('streams tool calls as fragments that the SDK reassembles, then answers the tool result', async () => {
    llm.setScript({
      rules: [
        { name: 'answer', when: { toolResults: true }, reply: (ctx) => ({ text: `Your order is ${JSON.parse(ctx.toolResults[0]!.content).status}.` }) },
        { name: 'call-tool', when: { user: /order (\w+)/, toolOffered: 'lookup_order' }, reply: (ctx) => ({ text: 'Let me check.', toolCalls: [{ name: 'lookup_order', arguments: { order_id: /order (\w+)/.exec(ctx.lastUserText)![1]! } }] }) },
      ],
    });
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'where is order A123?' }];
    const runner = client.chat.completions.stream({ model: 'm', messages, tools });
    const first = await runner.finalChatCompletion();
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.content).toBe('Let me check.');
    expect(msg.tool_calls).toHaveLength(1);
    const call = msg.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('lookup_order');
    expect(JSON.parse(call.function.arguments)).toEqual({ order_id: 'A123' });
    expect(call.id).toMatch(/^call_/);

    messages.push({ role: 'assistant', content: msg.content, tool_calls: msg.tool_calls }, { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ status: 'shipped' }) });
    const second = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(second.choices[0]!.message.content).toBe('Your order is shipped.');
    expect(llm.completions().map((r) => r.matchedRule)).toEqual(['call-tool', 'answer']);
    expect(llm.completions()[1]!.turn).toBe(1);
  });

  it('answers response_format json_schema with JSON, and falls back to nulls when unscripted', async () => {
    const schema = { type: 'object', properties: { a: { type: ['string', 'null'] }, b: { type: ['number', 'null'] } }, required: ['a', 'b'], additionalProperties: false };
    llm.setScript({ rules: [{ when: { responseFormat: true, user: 'settled' }, reply: { json: { a: 'x', b: 2 } } }] });
    const rf = { type: 'json_schema' as const, json_schema: { name: 'result', strict: true, schema } };
    const res = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'settled' }], response_format: rf });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ a: 'x', b: 2 });
    const unscripted = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'other' }], response_format: rf });
    expect(JSON.parse(unscripted.choices[0]!.message.content!)).toEqual({ a: null, b: null });
    expect(llm.completions()[1]!.matchedRule).toBe('fallback');
  });

  it('limits a rule to `times` uses, then moves on to the next rule', async () => {
    llm.setScript({ rules: [{ times: 1, reply: { json: { wrong: true } } }, { reply: { json: { right: true } } }] });
    const ask = async () => JSON.parse((await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content!);
    expect(await ask()).toEqual({ wrong: true });
    expect(await ask()).toEqual({ right: true });
    expect(await ask()).toEqual({ right: true });
  });

  it('matches on the turn of the conversation', async () => {
    llm.setScript({ rules: [{ when: { turn: 1 }, reply: { text: 'first' } }, { when: { turn: { min: 2 } }, reply: { text: 'later' } }] });
    const one = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a' }] });
    const two = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'first' }, { role: 'user', content: 'b' }] });
    expect([one.choices[0]!.message.content, two.choices[0]!.message.content]).toEqual(['first', 'later']);
  });

  it('injects an HTTP 500 that the SDK reports as an APIError', async () => {
    llm.setScript({ rules: [{ reply: { fail: { status: 500, message: 'boom' } } }] });
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((err as Error).message).toContain('boom');
  });

  it('hangs, and delays the first token, until the client gives up', async () => {
    llm.setScript({ rules: [{ name: 'hang', when: { user: 'hang' }, reply: { hang: true } }, { name: 'slow', firstTokenDelayMs: 60_000, reply: { text: 'late' } }] });
    const impatient = new OpenAI({ baseURL: llm.url, apiKey: 'k', maxRetries: 0, timeout: 300 });
    await expect(impatient.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hang' }] })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect(impatient.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow' }], stream: true })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(llm.completions().map((r) => r.matchedRule)).toEqual(['hang', 'slow']);
  });

  it('lists its model', async () => {
    llm.setScript({ rules: [], model: 'parley-sandbox' });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['parley-sandbox']);
  });
});

describe('appointment reminder script', () => {
  let llm: SandboxLlm;
  let client: OpenAI;
  beforeAll(async () => {
    llm = await startSandboxLlm({ script: appointmentReminderScript });
    client = new OpenAI({ baseURL: llm.url, apiKey: 'k', maxRetries: 0 });
  });
  afterAll(() => llm.close());

  it('opens, then takes the new time and ends the call with the end_call tool', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'system', content: 'reminder' }, { role: 'user', content: 'Hello, this is Maria.' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(first.choices[0]!.message.content).toMatch(/Dr\. Chen.*tomorrow at 2pm/);
    messages.push({ role: 'assistant', content: first.choices[0]!.message.content }, { role: 'user', content: "I can't make it tomorrow. Could we move it to Friday at 9 a.m.?" });
    const second = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(second.choices[0]!.message.content).toContain('Friday at 9 a.m.');
    const call = second.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('end_call');
  });

  it('opens when the agent speaks first, and after a greeting, then confirms a plain yes', async () => {
    const system = [{ role: 'system' as const, content: 'prompt' }, { role: 'system' as const, content: 'Data about this call (JSON): {}' }];
    const first = await client.chat.completions.create({ model: 'm', messages: system, tools });
    expect(first.choices[0]!.message.content).toMatch(/tomorrow at 2pm/);
    const greeted = await client.chat.completions.create({ model: 'm', tools, messages: [...system, { role: 'assistant', content: "Hello, this is Dr. Chen's office." }, { role: 'user', content: 'Hi, Maria speaking.' }] });
    expect(greeted.choices[0]!.message.content).toMatch(/tomorrow at 2pm/);
    const yes = await client.chat.completions.create({
      model: 'm',
      tools,
      messages: [...system, { role: 'assistant', content: first.choices[0]!.message.content }, { role: 'user', content: 'Yes, that works.' }],
    });
    expect(yes.choices[0]!.message.content).toMatch(/all set/);
    expect(yes.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('extracts from the transcript it receives, not a constant', async () => {
    const rf = { type: 'json_schema' as const, json_schema: { name: 'result', strict: true, schema: { type: 'object', properties: { confirmed: { type: ['boolean', 'null'] }, reschedule_to: { type: ['string', 'null'] } } } } };
    const ask = async (transcript: string) =>
      JSON.parse((await client.chat.completions.create({ model: 'm', response_format: rf, messages: [{ role: 'system', content: 'extract' }, { role: 'user', content: transcript }] })).choices[0]!.message.content!);
    expect(await ask("agent: Does tomorrow at 2pm work?\nuser: Oh, actually I can't make it tomorrow. Could we move it to Thursday at 10am?\nagent: Noted.")).toEqual({ confirmed: false, reschedule_to: 'Thursday at 10am' });
    expect(await ask('agent: Does tomorrow at 2pm work?\nuser: Yes, that works, see you then.')).toEqual({ confirmed: true, reschedule_to: null });
    expect(await ask('agent: Does tomorrow at 2pm work?\nuser: Who is this?')).toEqual({ confirmed: null, reschedule_to: null });
  });

  it('reads the requested time in several phrasings', () => {
    expect(extractAppointment(['Can we reschedule to next Monday morning?']).reschedule_to).toBe('next Monday morning');
    expect(extractAppointment(["I can't make it. How about Wednesday at 4pm?"]).reschedule_to).toBe('Wednesday at 4pm');
    expect(extractAppointment(['I need to move it, sorry.'])).toEqual({ confirmed: false, reschedule_to: null });
  });

  it('reads what pocketsphinx makes of the demo line, in the variants it has produced', () => {
    for (const heard of ['sorry i cannot come tomorrow please move it to friday morning', 'sorry i cannot come tomorrow please move to friday morning', 'sorry i cannot come tomorrow please moved to friday morning']) {
      expect(extractAppointment([heard]), heard).toEqual({ confirmed: false, reschedule_to: 'friday morning' });
    }
    expect(extractAppointment(['sorry i can not come tomorrow'])).toEqual({ confirmed: false, reschedule_to: null });
  });
});
