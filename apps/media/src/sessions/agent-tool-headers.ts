import type { ConversationSnapshot } from '@parley/common';
import { mapToolHeaders, type SecretBox } from '@parley/db';

/**
 * The call's snapshot with its agent's HTTP tool header values opened (they travel sealed, as the api stores them).
 * Done once when the call's session opens, so running a tool needs the key no more. A value that does not open (a
 * PARLEY_SECRET_KEY other than the api's) is left out and logged by name, never by value.
 */
export function withOpenedToolHeaders(snapshot: ConversationSnapshot, box: SecretBox, log: { error(obj: object, msg: string): void }): ConversationSnapshot {
  const tools = mapToolHeaders(snapshot.tools, (value, header, tool) => {
    try {
      return box.open(value);
    } catch (err) {
      log.error({ agent_id: snapshot.agent_id, tool, header, reason: (err as Error).message }, 'tool header cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); the tool runs without it');
      return null;
    }
  });
  return { ...snapshot, tools };
}
