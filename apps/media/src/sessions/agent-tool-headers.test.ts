import { describe, expect, it } from 'vitest';
import type { ConversationSnapshot } from '@parley/common';
import { SecretBox } from '@parley/db';
import { withOpenedToolHeaders } from './agent-tool-headers';

const snapshotWith = (tools: unknown[]) => ({ agent_id: 'agent-1', tools }) as ConversationSnapshot;

describe('withOpenedToolHeaders', () => {
  it("opens the sealed header values of the agent's HTTP tools, with the previous key during a rotation", () => {
    const box = new SecretBox('current', 'previous');
    const tools = [{ type: 'end_call' }, { type: 'http', name: 'lookup', headers: { Authorization: new SecretBox('previous').seal('Bearer t0k3n'), 'x-api-key': box.seal('k1') } }];
    const errors: object[] = [];
    const snapshot = withOpenedToolHeaders(snapshotWith(tools), box, { error: (o) => errors.push(o) });
    expect(snapshot.tools).toEqual([{ type: 'end_call' }, { type: 'http', name: 'lookup', headers: { Authorization: 'Bearer t0k3n', 'x-api-key': 'k1' } }]);
    expect(errors).toEqual([]);
  });

  it('leaves out a value the key cannot open and logs its name, never its value', () => {
    const sealed = new SecretBox('another-install').seal('Bearer t0k3n');
    const errors: object[] = [];
    const snapshot = withOpenedToolHeaders(snapshotWith([{ type: 'http', name: 'lookup', headers: { Authorization: sealed, accept: new SecretBox('k').seal('text/plain') } }]), new SecretBox('k'), { error: (o) => errors.push(o) });
    expect(snapshot.tools).toEqual([{ type: 'http', name: 'lookup', headers: { accept: 'text/plain' } }]);
    expect(errors).toEqual([expect.objectContaining({ agent_id: 'agent-1', tool: 'lookup', header: 'Authorization' })]);
    expect(JSON.stringify(errors)).not.toContain(sealed);
  });
});
