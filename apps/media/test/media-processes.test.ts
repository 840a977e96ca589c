import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { MediaAck, MediaStatusRequest } from '@parley/common';
import { MediaModule } from '../src/app.module';
import { MediaSessions } from '../src/sessions/media-sessions';
import { MediaHarness, type PlacedCall } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 180_000 });

let h: MediaHarness;
let second: INestApplicationContext;
beforeAll(async () => {
  h = await MediaHarness.start({ script: { rules: [{ name: 'any', when: {}, reply: { text: 'Hello.' } }] } });
  // A second media process on the same NATS namespace, as when the service is scaled out.
  const { first } = h.config.MEDIA_RTP_PORTS;
  second = await NestFactory.createApplicationContext(MediaModule.forRoot({ ...h.config, MEDIA_RTP_PORTS: { first: first + 4000, last: first + 4019 } }), { logger: false, abortOnError: false });
  await second.init();
});
afterAll(async () => {
  await second?.close().catch(() => undefined);
  await h?.close();
});

it('with two media processes, each call is attached and released by the one that holds it, wherever the request lands', async () => {
  const held = (app: INestApplicationContext) => app.get(MediaSessions).active;
  const calls: PlacedCall[] = [];
  // Allocations go to either process (a queue group): place calls until both hold some.
  for (let i = 0; calls.length < 2 || held(h.app) === 0 || held(second) === 0; i++) {
    expect(i).toBeLessThan(12);
    // placeCall fails if the call's attach request gets no answer.
    calls.push(await h.placeCall({ number: `+1555040${String(i).padStart(4, '0')}`, scenario: { outcome: 'answer', answer_after_ms: 50, lines: [], send_silence: true }, agent: { prompt: 'Say hello.' } }));
  }
  expect(held(h.app) + held(second)).toBe(calls.length);
  // Asked whether a call is still held (the api's watchdog asks for web calls), the process holding it answers.
  const status = (callId: string) => h.bus.request(h.bus.subjects.mediaSession(callId, 'status'), MediaStatusRequest, { call_id: callId }, MediaAck, 1000);
  for (const call of calls) expect(await status(call.callId)).toEqual({ ok: true });
  // Released as the dialer releases them (POST /v1/calls/:id/end): each one ends, on whichever process holds it.
  for (const call of calls) await h.release(call.callId, 'api');
  const ended = await Promise.all(calls.map((c) => c.ended));
  expect(ended.map((e) => e.call_id).sort()).toEqual(calls.map((c) => c.callId).sort());
  await vi.waitFor(() => expect(held(h.app) + held(second)).toBe(0), { timeout: 10_000 });
  // Once released, no process answers for it.
  await expect(status(calls[0]!.callId)).rejects.toThrow();
});
