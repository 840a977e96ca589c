import { describe, expect, it } from 'vitest';
import { AgentCreate } from './agents';
import { CallCreate } from './calls';
import { JSON_MAX_DEPTH } from './storable';

const call = { agent_id: '00000000-0000-4000-8000-000000000000', to: '+14155550123' };

function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 1; i < levels; i++) node = (node.a = {}) as Record<string, unknown>;
  return root;
}

function firstIssue(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) {
  expect(result.success).toBe(false);
  return result.error!.issues[0]!;
}

describe('request strings and JSON Postgres can store', () => {
  it('refuses a NUL in a string field, naming the field', () => {
    const issue = firstIssue(AgentCreate.safeParse({ name: 'Ava\u0000', type: 'outbound' }));
    expect(issue.path).toEqual(['name']);
    expect(issue.message).toMatch(/NUL/);
  });

  it('refuses NUL and lone surrogates in nested tool fields and header names and values', () => {
    const tool = { type: 'http', name: 't', description: 'd', url: 'https://example.com/' };
    expect(firstIssue(AgentCreate.safeParse({ name: 'A', type: 'outbound', tools: [{ ...tool, url: 'https://example.com/\u0000' }] })).path).toEqual(['tools', 0, 'url']);
    expect(firstIssue(AgentCreate.safeParse({ name: 'A', type: 'outbound', tools: [{ ...tool, headers: { auth: 'x\uDC00' } }] })).path).toEqual(['tools', 0, 'headers', 'auth']);
    expect(firstIssue(AgentCreate.safeParse({ name: 'A', type: 'outbound', tools: [{ ...tool, headers: { 'a\u0000': 'x' } }] })).path[0]).toBe('tools');
  });

  it('refuses NUL and lone surrogates anywhere in a JSON object, keys included, naming the place', () => {
    expect(firstIssue(CallCreate.safeParse({ ...call, context: { foo: ['ok', 'a\u0000b'] } })).path).toEqual(['context', 'foo', 1]);
    expect(firstIssue(CallCreate.safeParse({ ...call, metadata: { x: { 'k\uD800': 1 } } })).path).toEqual(['metadata', 'x']);
    expect(firstIssue(CallCreate.safeParse({ ...call, context: { s: '\uDC00\uD800' } })).message).toMatch(/surrogate/);
  });

  it('accepts surrogate pairs (emoji) and ordinary control characters', () => {
    expect(AgentCreate.safeParse({ name: 'Ava 😀\t', type: 'outbound', persona: 'x\u0001' }).success).toBe(true);
    expect(CallCreate.safeParse({ ...call, context: { '😀': '😀' } }).success).toBe(true);
  });

  it(`accepts ${JSON_MAX_DEPTH} levels and refuses one more, without overflowing on 10,000`, () => {
    expect(CallCreate.safeParse({ ...call, context: nested(JSON_MAX_DEPTH) }).success).toBe(true);
    expect(firstIssue(CallCreate.safeParse({ ...call, context: nested(JSON_MAX_DEPTH + 1) })).message).toMatch(/levels deep/);
    // returns is also normalised by recursive code, which must not run on a refused value
    expect(firstIssue(AgentCreate.safeParse({ name: 'A', type: 'outbound', returns: nested(10_000) })).message).toMatch(/levels deep/);
  });
});
