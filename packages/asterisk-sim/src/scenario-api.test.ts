import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ScenarioStore } from './far-end/scenario';
import { startAsteriskSim, type AsteriskSim } from './server';

let sim: AsteriskSim;
beforeEach(async () => {
  sim = await startAsteriskSim({ port: 0 });
});
afterEach(() => sim.close());

const put = (number: string, body: unknown) =>
  fetch(`${sim.url}/sim/scenarios/${encodeURIComponent(number)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('validates scenarios with a clear 400 and serves GET/DELETE', async () => {
  const bad = await put('+15551234567', { outcome: 'maybe', answer_after_ms: -1 });
  expect(bad.status).toBe(400);
  const error = (await bad.json()) as { error: string };
  expect(error.error).toContain('outcome');
  expect(error.error).toContain('answer_after_ms');

  const badLine = await put('+15551234567', { lines: [{ after_ms: 100 }] });
  expect(badLine.status).toBe(400);

  const ok = await put('+15551234567', { outcome: 'answer', lines: ['Yes, this is Maria.', { text: 'Wait, stop.', barge_in: true, after_ms: 300 }], codec: 'ulaw' });
  expect(ok.status).toBe(200);
  const got = (await (await fetch(`${sim.url}/sim/scenarios/+15551234567`)).json()) as { explicit: boolean; scenario: { codec: string } };
  expect(got).toMatchObject({ explicit: true, scenario: { codec: 'ulaw' } });

  expect((await fetch(`${sim.url}/sim/scenarios/+15551234567`, { method: 'DELETE' })).status).toBe(204);
  const fallback = (await (await fetch(`${sim.url}/sim/scenarios/+15551234567`)).json()) as { explicit: boolean; scenario: { lines: string[] } };
  expect(fallback).toMatchObject({ explicit: false, scenario: { lines: ['Hello?'] } });

  const magic = (await (await fetch(`${sim.url}/sim/scenarios/+15550100486`)).json()) as { scenario: { outcome: string } };
  expect(magic.scenario.outcome).toBe('busy');
});

it('refuses ARI requests without the right credentials', async () => {
  expect((await fetch(`${sim.ariUrl}/channels`)).status).toBe(401);
  expect((await fetch(`${sim.ariUrl}/channels?api_key=parley:parley`)).status).toBe(200);
});

it('loads one scenario file per number from a directory at start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sim-scenarios-'));
  await writeFile(join(dir, '+15551112222.json'), JSON.stringify({ outcome: 'busy', answer_after_ms: 100 }));
  const other = await startAsteriskSim({ port: 0, scenariosDir: dir });
  try {
    expect(other.scenarios.get('+15551112222')?.outcome).toBe('busy');
  } finally {
    await other.close();
  }
  await writeFile(join(dir, '+15553334444.json'), JSON.stringify({ outcome: 'sometimes' }));
  await expect(startAsteriskSim({ port: 0, scenariosDir: dir })).rejects.toThrow(/\+15553334444\.json: invalid scenario: outcome/);
});

it('plays a scenario with `then` once, then its follow-up for the later dials; a bad follow-up is refused', async () => {
  const store = new ScenarioStore();
  store.set('+15551112222', { outcome: 'busy', then: { outcome: 'no_answer', then: { outcome: 'answer', lines: ['Hi'] } } });
  expect([store.dial('+15551112222').outcome, store.dial('+15551112222').outcome, store.dial('+15551112222').outcome, store.dial('+15551112222').outcome]).toEqual(['busy', 'no_answer', 'answer', 'answer']);
  expect(store.dial('+15550100486').outcome).toBe('busy');
  const bad = await put('+15551234567', { outcome: 'busy', then: { outcome: 'maybe' } });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toMatch(/then: .*outcome/);
});
