import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, outboundEnv, outboundPolicy } from '@parley/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WebhookSender } from './webhook-sender';

const SECRET = `whsec_${Buffer.from('sender-test-secret-0123456789abcdef').toString('base64')}`;
const sender = (e: Record<string, string>) => new WebhookSender(outboundPolicy(loadConfig(z.object(outboundEnv), e), e), { timeoutMs: 2000, maxResponseBytes: 1000, maxSockets: 4 });

let hits = 0;
let url = '';
const server = createServer((_req, res) => {
  hits++;
  res.end('ok');
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://localhost:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('WebhookSender and the outbound guard', () => {
  it('refuses a receiver on loopback by default, by name at connect time, and sends nothing', async () => {
    const s = sender({});
    const outcome = await s.send({ id: 'msg_1', url, secrets: [SECRET], body: '{}' });
    s.close();
    expect(outcome).toMatchObject({ delivered: false, refused: true, error: expect.stringMatching(/refused address (127\.0\.0\.1|::1)/) });
    expect(hits).toBe(0);
  });

  it('refuses the metadata address and non-http schemes before any connection', async () => {
    const s = sender({});
    for (const [target, reason] of [['http://169.254.169.254/latest/meta-data/', /refused address 169\.254\.169\.254/], ['file:///etc/passwd', /only http and https/], ['not a url', /not a valid URL/]] as const) {
      expect(await s.send({ id: 'msg_2', url: target, secrets: [SECRET], body: '{}' })).toMatchObject({ refused: true, error: expect.stringMatching(reason) });
    }
    s.close();
  });

  it('delivers to loopback once OUTBOUND_ALLOW names it', async () => {
    const s = sender({ OUTBOUND_ALLOW: 'localhost' });
    const outcome = await s.send({ id: 'msg_3', url, secrets: [SECRET], body: '{}' });
    s.close();
    expect(outcome).toMatchObject({ delivered: true, statusCode: 200, refused: false });
    expect(hits).toBe(1);
  });
});
