import { type AgentEntity, mapToolHeaders, type SecretBox } from '@parley/db';

/**
 * The agent as its call's conversation needs it: HTTP tool header values opened (the api stores them sealed). Done
 * once when the call's session opens, so running a tool needs neither the database nor the key again. A value that
 * does not open (a PARLEY_SECRET_KEY other than the api's) is left out and logged by name, never by value.
 */
export function withOpenedToolHeaders(agent: AgentEntity, box: SecretBox, log: { error(obj: object, msg: string): void }): AgentEntity {
  const tools = mapToolHeaders(agent.tools ?? [], (value, header, tool) => {
    try {
      return box.open(value);
    } catch (err) {
      log.error({ agent_id: agent.id, tool, header, reason: (err as Error).message }, 'tool header cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); the tool runs without it');
      return null;
    }
  });
  return { ...agent, tools };
}
