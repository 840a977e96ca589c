import { normalizeReturns } from '@parley/common';
import type { CampaignsRepository } from '@parley/db';

const PAGE = 2000;

/** A CSV field: quoted when it holds a separator, a quote or a line break; objects as JSON. */
function field(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The result's fields as columns: the agent's `returns` properties, nested objects flattened with dots. */
export function resultColumns(returns: Record<string, unknown> | null): string[] {
  let schema;
  try {
    schema = normalizeReturns(returns);
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = (s: Record<string, unknown> | undefined, prefix: string) => {
    const properties = (s?.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [name, sub] of Object.entries(properties)) {
      const type = sub.type;
      if (type === 'object' || (Array.isArray(type) && type.includes('object') && sub.properties)) walk(sub, `${prefix}${name}.`);
      else out.push(`${prefix}${name}`);
    }
  };
  walk(schema as Record<string, unknown> | undefined, '');
  return out;
}

const valueAt = (result: Record<string, unknown> | null, path: string) => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), result);

/**
 * The campaign's recipients as CSV, read page by page: number, state, outcome, attempts, the last call's id and
 * status, each field of that call's `result` in a column of its own (`result.<field>`), and the context as JSON.
 */
export async function* outcomesCsv(campaigns: CampaignsRepository, campaignId: string, returns: Record<string, unknown> | null): AsyncIterable<string> {
  const columns = resultColumns(returns);
  yield `${['to', 'state', 'outcome', 'attempts', 'last_call_id', 'last_call_status', ...columns.map((c) => `result.${c}`), 'context'].map(field).join(',')}\r\n`;
  let after: string | null = null;
  for (;;) {
    const rows = await campaigns.exportPage(campaignId, after, PAGE);
    if (rows.length === 0) return;
    let chunk = '';
    for (const r of rows) {
      chunk += `${[r.toNumber, r.state, r.outcome, r.attempts, r.callIds.at(-1) ?? null, r.lastCallStatus, ...columns.map((c) => valueAt(r.lastCallResult, c)), r.context].map(field).join(',')}\r\n`;
    }
    yield chunk;
    after = rows.at(-1)!.id;
  }
}
