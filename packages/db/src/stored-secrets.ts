import { mapToolHeaders } from './agent-tool-headers';
import { SecretBox } from './secret-box';

/** Where a stored secret lives. */
export type StoredSecretKind = 'trunk_password' | 'account_webhook_secret' | 'endpoint_secret' | 'endpoint_previous_secret' | 'tool_header' | 'llm_api_key' | 'asterisk_password';

export type StoredSecretCounts = Record<StoredSecretKind, number>;

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Text columns that hold one secret each (tool headers and model keys sit inside `agents.tools` and `agents.llm`, handled apart). */
const COLUMNS: Array<{ kind: StoredSecretKind; table: string; column: string; key: string }> = [
  { kind: 'trunk_password', table: 'trunks', column: 'password_encrypted', key: 'id' },
  { kind: 'account_webhook_secret', table: 'accounts', column: 'webhook_secret', key: 'id' },
  { kind: 'endpoint_secret', table: 'webhook_endpoints', column: 'secret', key: 'id' },
  { kind: 'endpoint_previous_secret', table: 'webhook_endpoints', column: 'previous_secret', key: 'id' },
  // Created by a later migration than the one that sealed the others: skipped while it does not exist.
  { kind: 'asterisk_password', table: 'asterisks', column: 'ari_password_encrypted', key: 'name' },
];

/**
 * Rewrites every secret Parley stores, value by value: `rewrite` answers the new stored value, or null to leave it.
 * The one list of where secrets live, for the migration that sealed the plaintext ones and for the key rotation
 * (`pnpm parley secrets reseal`). Rows are locked as they are read; run it inside a transaction so a value that
 * cannot be rewritten leaves everything as it was. Answers how many values of each kind were rewritten.
 */
export async function rewriteStoredSecrets(q: Queryable, rewrite: (value: string, kind: StoredSecretKind, where: string) => string | null): Promise<StoredSecretCounts> {
  const counts: StoredSecretCounts = { trunk_password: 0, account_webhook_secret: 0, endpoint_secret: 0, endpoint_previous_secret: 0, tool_header: 0, llm_api_key: 0, asterisk_password: 0 };
  for (const { kind, table, column, key } of COLUMNS) {
    const [exists] = (await q.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [table])) as Array<{ present: boolean }>;
    if (!exists?.present) continue;
    const rows = (await q.query(`SELECT ${key} AS id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL ORDER BY ${key} FOR UPDATE`)) as Array<{ id: string; value: string }>;
    for (const row of rows) {
      const next = rewrite(row.value, kind, `${table}.${column} of ${row.id}`);
      if (next === null || next === row.value) continue;
      await q.query(`UPDATE ${table} SET ${column} = $1 WHERE ${key} = $2`, [next, row.id]);
      counts[kind] += 1;
    }
  }
  const agents = (await q.query(`SELECT id, tools FROM agents WHERE tools @> '[{"type":"http"}]'::jsonb ORDER BY id FOR UPDATE`)) as Array<{ id: string; tools: unknown[] }>;
  for (const agent of agents) {
    let changed = 0;
    const tools = mapToolHeaders(agent.tools, (value, header, tool) => {
      const next = rewrite(value, 'tool_header', `header ${header} of tool ${tool} of agent ${agent.id}`);
      if (next === null || next === value) return value;
      changed += 1;
      return next;
    });
    if (changed === 0) continue;
    await q.query(`UPDATE agents SET tools = $1::jsonb WHERE id = $2`, [JSON.stringify(tools), agent.id]);
    counts.tool_header += changed;
  }
  const keyed = (await q.query(`SELECT id, llm FROM agents WHERE jsonb_typeof(llm->'api_key') = 'string' ORDER BY id FOR UPDATE`)) as Array<{ id: string; llm: Record<string, unknown> }>;
  for (const agent of keyed) {
    const value = agent.llm.api_key as string;
    const next = rewrite(value, 'llm_api_key', `llm.api_key of agent ${agent.id}`);
    if (next === null || next === value) continue;
    await q.query(`UPDATE agents SET llm = $1::jsonb WHERE id = $2`, [JSON.stringify({ ...agent.llm, api_key: next }), agent.id]);
    counts.llm_api_key += 1;
  }
  return counts;
}

/**
 * Seals every stored secret under the box's current key (`pnpm parley secrets reseal`, after a key change): values
 * the previous key sealed are opened and sealed again, plaintext ones are sealed, current ones are left alone. A
 * value that opens with neither key stops it with the place named (inside a transaction, nothing is changed then).
 */
export function resealStoredSecrets(q: Queryable, box: SecretBox): Promise<StoredSecretCounts> {
  return rewriteStoredSecrets(q, (value, _kind, where) => {
    if (!SecretBox.isSealed(value)) return box.seal(value);
    if (box.sealedWithCurrentKey(value)) return null;
    try {
      return box.seal(box.open(value));
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  });
}
