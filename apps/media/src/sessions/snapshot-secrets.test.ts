import { describe, expect, it } from 'vitest';
import type { ConversationSnapshot } from '@parley/common';
import { SecretBox } from '@parley/db';
import { withOpenedSecrets } from './snapshot-secrets';

const snapshotWith = (tools: unknown[], llm: Record<string, unknown> = {}) => ({ agent_id: 'agent-1', tools, llm }) as ConversationSnapshot;

describe('withOpenedSecrets', () => {
  it("opens the sealed header values of the agent's HTTP tools, with the previous key during a rotation", () => {
    const box = new SecretBox('current', 'previous');
    const tools = [{ type: 'end_call' }, { type: 'http', name: 'lookup', headers: { Authorization: new SecretBox('previous').seal('Bearer t0k3n'), 'x-api-key': box.seal('k1') } }];
    const errors: object[] = [];
    const snapshot = withOpenedSecrets(snapshotWith(tools), box, { error: (o) => errors.push(o) });
    expect(snapshot.tools).toEqual([{ type: 'end_call' }, { type: 'http', name: 'lookup', headers: { Authorization: 'Bearer t0k3n', 'x-api-key': 'k1' } }]);
    expect(errors).toEqual([]);
  });

  it('leaves out a value the key cannot open and logs its name, never its value', () => {
    const sealed = new SecretBox('another-install').seal('Bearer t0k3n');
    const errors: object[] = [];
    const snapshot = withOpenedSecrets(snapshotWith([{ type: 'http', name: 'lookup', headers: { Authorization: sealed, accept: new SecretBox('k').seal('text/plain') } }]), new SecretBox('k'), { error: (o) => errors.push(o) });
    expect(snapshot.tools).toEqual([{ type: 'http', name: 'lookup', headers: { accept: 'text/plain' } }]);
    expect(errors).toEqual([expect.objectContaining({ agent_id: 'agent-1', tool: 'lookup', header: 'Authorization' })]);
    expect(JSON.stringify(errors)).not.toContain(sealed);
  });

  it("opens the model's api_key, and leaves out one the key cannot open, logged without its value", () => {
    const box = new SecretBox('current', 'previous');
    const llm = { base_url: 'https://models.example.com/v1', model: 'm' };
    expect(withOpenedSecrets(snapshotWith([], { ...llm, api_key: new SecretBox('previous').seal('sk-abc') }), box, { error: () => undefined }).llm).toEqual({ ...llm, api_key: 'sk-abc' });
    const errors: object[] = [];
    const foreign = new SecretBox('another-install').seal('sk-abc');
    expect(withOpenedSecrets(snapshotWith([], { ...llm, api_key: foreign }), box, { error: (o) => errors.push(o) }).llm).toEqual(llm);
    expect(errors).toEqual([expect.objectContaining({ agent_id: 'agent-1' })]);
    expect(JSON.stringify(errors)).not.toContain('sk-abc');
    expect(JSON.stringify(errors)).not.toContain(foreign);
    expect(withOpenedSecrets(snapshotWith([], llm), box, { error: () => undefined }).llm).toEqual(llm);
  });
});
