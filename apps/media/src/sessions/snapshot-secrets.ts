import type { ConversationSnapshot } from '@parley/common';
import { mapToolHeaders, type SecretBox } from '@parley/db';

type Log = { error(obj: object, msg: string): void };

/**
 * The call's snapshot with its secrets opened: HTTP tool header values, the model's `api_key` and, in webhook mode, the
 * account's webhook secret travel sealed, as the api stores them. Done once when the call's session opens, so the
 * conversation needs the key no more. A value that does not open (a PARLEY_SECRET_KEY other than the api's) is left
 * out and logged by name, never by value: the tool runs without the header, the model server is called without the
 * key, the conversation webhook is not called (its requests could not be signed).
 */
export function withOpenedSecrets(snapshot: ConversationSnapshot, box: SecretBox, log: Log): ConversationSnapshot {
  const tools = mapToolHeaders(snapshot.tools, (value, header, tool) => {
    try {
      return box.open(value);
    } catch (err) {
      log.error({ agent_id: snapshot.agent_id, tool, header, reason: (err as Error).message }, 'tool header cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); the tool runs without it');
      return null;
    }
  });
  return { ...snapshot, tools, llm: withOpenedModelKey(snapshot, box, log), ...(snapshot.conversation ? { conversation: withOpenedWebhookSecret(snapshot.conversation, snapshot, box, log) } : {}) };
}

/** The account's webhook secret that signs a webhook-mode agent's requests; unopenable, they go unsigned (logged). */
function withOpenedWebhookSecret(conversation: NonNullable<ConversationSnapshot['conversation']>, snapshot: ConversationSnapshot, box: SecretBox, log: Log): NonNullable<ConversationSnapshot['conversation']> {
  try {
    return { ...conversation, secret: box.open(conversation.secret) };
  } catch (err) {
    log.error({ agent_id: snapshot.agent_id, reason: (err as Error).message }, "the account's webhook secret cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); the conversation webhook's requests cannot be signed");
    return { ...conversation, secret: '' };
  }
}

function withOpenedModelKey(snapshot: ConversationSnapshot, box: SecretBox, log: Log): ConversationSnapshot['llm'] {
  const { api_key: sealed, ...llm } = snapshot.llm;
  if (typeof sealed !== 'string') return llm;
  try {
    return { ...llm, api_key: box.open(sealed) };
  } catch (err) {
    log.error({ agent_id: snapshot.agent_id, reason: (err as Error).message }, "the agent's model api_key cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); its model server is called without it");
    return llm;
  }
}
