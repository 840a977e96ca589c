import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FIXTURES_DIR } from './testing/event-order';
import { startHarness, type SimHarness } from './testing/harness';

interface RestRecord {
  method: string;
  path: string;
  query: Record<string, string> | null;
  status: number;
  responseBody: unknown;
}

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('answers the REST errors of the errors trace with the same status and body', async () => {
  const records = JSON.parse(readFileSync(join(FIXTURES_DIR, 'errors', 'rest.json'), 'utf8')) as RestRecord[];
  expect(records.length).toBe(7);
  const auth = `Basic ${Buffer.from('parley:parley').toString('base64')}`;
  for (const record of records) {
    const url = new URL(`${h.sim.ariUrl}${record.path}`);
    for (const [k, v] of Object.entries(record.query ?? {})) url.searchParams.set(k, v);
    const res = await fetch(url, { method: record.method, headers: { authorization: auth } });
    expect({ request: `${record.method} ${record.path}`, status: res.status, body: await res.json() }).toEqual({
      request: `${record.method} ${record.path}`,
      status: record.status,
      body: record.responseBody,
    });
  }
});
