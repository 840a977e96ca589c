import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callObject, newCallId, startHarness, startReceiver, until, WHSEC } from './harness';

describe('webhook delivery', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeAll(async () => {
    h = await startHarness();
    await h.start();
  });
  afterAll(() => h?.close());

  it('delivers subscribed events to an account endpoint the first time, signed', async () => {
    const rx = await startReceiver();
    const ep = await h.createEndpoint(`${rx.url}/hooks`, ['call.ringing', 'call.ended']);
    const callId = newCallId();
    await h.publish('ringing', callId, {});
    await h.publish('transcript', callId, { segment: { index: 0, role: 'user', text: 'hi', start_ms: 0, end_ms: 10, interrupted: false } });
    const ended = await h.publish('ended', callId, { status: 'completed', answered: true, hangup_cause: 'normal', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
    await until(() => rx.received.length >= 2);
    await h.settled();
    expect(rx.received.map((r) => r.json.type).sort()).toEqual(['call.ended', 'call.ringing']);
    const endedHook = rx.received.find((r) => r.json.type === 'call.ended')!;
    expect(endedHook.path).toBe('/hooks');
    expect(endedHook.json).toEqual({ type: 'call.ended', timestamp: ended.at, data: { call_id: callId, status: 'completed', answered: true, hangup_cause: 'normal', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null } });
    expect(endedHook.headers['content-type']).toBe('application/json');
    for (const r of rx.received) {
      expect(new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>)).toEqual(r.json);
      expect(() => new Webhook(WHSEC).verify(r.body, r.headers as Record<string, string>)).toThrow();
      expect(r.headers['webhook-id']).toMatch(/^msg_/);
    }
    const rows = (await h.deliveries()).filter((d) => d.endpoint_id === ep.id);
    expect(rows.map((d) => [d.status, d.attempts, d.last_status_code])).toEqual([
      ['delivered', 1, 200],
      ['delivered', 1, 200],
    ]);
    expect(await h.attempts(rows[0]!.id)).toMatchObject([{ attempt: 1, status_code: 200, error: null }]);
    await rx.close();
  });

  it('signs with a rotated secret too while its grace period lasts, then with the current one alone', async () => {
    const rx = await startReceiver();
    const ep = await h.createEndpoint(`${rx.url}/rotated`, ['call.ringing']);
    const previous = `whsec_${Buffer.from('the-secret-before-rotation-0123456789').toString('base64')}`;
    // As POST .../rotate_secret leaves it: the old secret signs for a while longer.
    await h.db.dataSource.query(`UPDATE webhook_endpoints SET previous_secret = $2, previous_secret_expires_at = now() + interval '1 hour' WHERE id = $1`, [ep.id, h.box.seal(previous)]);
    await h.publish('ringing', newCallId(), {});
    await until(() => rx.received.length >= 1);
    const during = rx.received[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [ep.secret, previous]) expect(new Webhook(secret).verify(during.body, during.headers as Record<string, string>)).toEqual(during.json);

    await h.db.dataSource.query(`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [ep.id]);
    await h.publish('ringing', newCallId(), {});
    await until(() => rx.received.length >= 2);
    const after = rx.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(new Webhook(ep.secret).verify(after.body, after.headers as Record<string, string>)).toEqual(after.json);
    expect(() => new Webhook(previous).verify(after.body, after.headers as Record<string, string>)).toThrow();
    await h.settled();
    await rx.close();
  });

  it("sends call.completed to the call's webhook_url, signed with the account secret, and reports webhook_status", async () => {
    const rx = await startReceiver();
    const callId = newCallId();
    const call = callObject(callId, `${rx.url}/call-done`);
    await h.publish('completed', callId, { call });
    await until(() => h.webhookEvents.filter((e) => e.call_id === callId).some((e) => e.data.webhook_status === 'delivered'));
    expect(rx.received).toHaveLength(1);
    const [hook] = rx.received;
    expect(hook!.path).toBe('/call-done');
    expect(new Webhook(WHSEC).verify(hook!.body, hook!.headers as Record<string, string>)).toEqual({ type: 'call.completed', timestamp: expect.any(String), data: call });
    expect(h.webhookEvents.filter((e) => e.call_id === callId).map((e) => e.data)).toEqual([
      { webhook_status: 'pending', webhook_error: null },
      { webhook_status: 'delivered', webhook_error: null },
    ]);
    await rx.close();
  });

  it('retries a 500 with the same webhook-id and delivers on the 200', async () => {
    let calls = 0;
    const rx = await startReceiver((_r, res) => {
      calls++;
      res.statusCode = calls === 1 ? 500 : 200;
      res.end(calls === 1 ? 'try again later' : 'ok');
    });
    const callId = newCallId();
    await h.publish('completed', callId, { call: callObject(callId, rx.url) });
    await until(() => h.webhookEvents.some((e) => e.call_id === callId && e.data.webhook_status === 'delivered'));
    expect(rx.received).toHaveLength(2);
    expect(rx.received[0]!.headers['webhook-id']).toBe(rx.received[1]!.headers['webhook-id']);
    for (const r of rx.received) expect(() => new Webhook(WHSEC).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    const id = rx.received[0]!.headers['webhook-id'] as string;
    expect((await h.attempts(id)).map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 200, null],
    ]);
    const statuses = h.webhookEvents.filter((e) => e.call_id === callId).map((e) => e.data);
    expect(statuses.map((s) => s.webhook_status)).toEqual(['pending', 'pending', 'delivered']);
    expect(statuses[1]!.webhook_error).toMatch(/^HTTP 500 \(attempt 1; retrying at /);
    await rx.close();
  });

  it('gives up after the schedule when the receiver times out', async () => {
    const rx = await startReceiver(() => undefined); // never answers
    const callId = newCallId();
    await h.publish('completed', callId, { call: callObject(callId, rx.url) });
    await until(() => h.webhookEvents.some((e) => e.call_id === callId && e.data.webhook_status === 'failed'));
    const failed = h.webhookEvents.find((e) => e.call_id === callId && e.data.webhook_status === 'failed')!;
    expect(failed.data.webhook_error).toBe('timed out after 500 ms (gave up after 3 attempts)');
    expect(rx.received).toHaveLength(3); // first attempt + the two retries of WEBHOOK_RETRY_SCHEDULE_MS
    const id = rx.received[0]!.headers['webhook-id'] as string;
    expect((await h.attempts(id)).map((a) => a.error)).toEqual(Array(3).fill('timed out after 500 ms'));
    await rx.close();
  });

  it('disables an endpoint that answers 410 Gone and sends it nothing more', async () => {
    const rx = await startReceiver((_r, res) => {
      res.statusCode = 410;
      res.end();
    });
    const ep = await h.createEndpoint(rx.url, ['call.answered']);
    await h.publish('answered', newCallId(), {});
    await until(() => rx.received.length === 1);
    await h.settled();
    const [endpoint] = await h.db.dataSource.query(`SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = $1`, [ep.id]);
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabled_reason).toMatch(/410 Gone/);
    const [row] = (await h.deliveries()).filter((d) => d.endpoint_id === ep.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
    await h.publish('answered', newCallId(), {});
    await h.settled();
    expect(rx.received).toHaveLength(1);
    await rx.close();
  });

  it('does not follow redirects and reads only the start of a large answer', async () => {
    const target = await startReceiver();
    const rx = await startReceiver((r, res) => {
      if (r.path === '/moved') {
        res.writeHead(302, { location: `${target.url}/elsewhere` });
        res.end();
      } else {
        res.end('x'.repeat(2_000_000));
      }
    });
    const moved = await h.createEndpoint(`${rx.url}/moved`, ['call.initiated']);
    const big = await h.createEndpoint(`${rx.url}/big`, ['call.initiated']);
    await h.publish('initiated', newCallId(), { channel_id: 'c1', dialer_id: 'd1' });
    await until(async () => (await h.deliveries()).filter((d) => d.endpoint_id === moved.id && d.status === 'failed').length === 1);
    await h.settled();
    expect(target.received).toHaveLength(0);
    const [movedRow] = (await h.deliveries()).filter((d) => d.endpoint_id === moved.id);
    expect(movedRow!.last_error).toBe(`HTTP 302: redirects are not followed (to ${target.url}/elsewhere)`);
    const [bigRow] = (await h.deliveries()).filter((d) => d.endpoint_id === big.id);
    expect(bigRow!.status).toBe('delivered');
    const [{ len }] = await h.db.dataSource.query(`SELECT length(response_body) AS len FROM webhook_delivery_attempts WHERE delivery_id = $1`, [bigRow!.id]);
    expect(len).toBe(4096);
    await rx.close();
    await target.close();
  });

  it('sends a queued test event (as POST /v1/webhook_endpoints/:id/test leaves it) even to a disabled endpoint', async () => {
    const rx = await startReceiver();
    const ep = await h.createEndpoint(rx.url, ['call.ended']);
    await h.db.dataSource.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'the endpoint answered 410 Gone' WHERE id = $1`, [ep.id]);
    const payload = { type: 'webhook.test', timestamp: new Date().toISOString(), data: { endpoint_id: ep.id, message: 'test' } };
    await h.db.dataSource.query(
      `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, url, event_type, event_id, payload, status, attempts, next_attempt_at) VALUES ('msg_apitest', $1, $2, $3, 'webhook.test', 'test_1', $4, 'pending', 0, now())`,
      [h.accountId, ep.id, rx.url, JSON.stringify(payload)],
    );
    await until(() => rx.received.length === 1);
    await h.settled();
    expect(new Webhook(ep.secret).verify(rx.received[0]!.body, rx.received[0]!.headers as Record<string, string>)).toEqual(payload);
    expect(rx.received[0]!.headers['webhook-id']).toBe('msg_apitest');
    expect((await h.deliveries()).find((d) => d.id === 'msg_apitest')).toMatchObject({ status: 'delivered', attempts: 1 });
    await rx.close();
  });

  it('refuses a URL the guard forbids without sending anything', async () => {
    const callId = newCallId();
    await h.publish('completed', callId, { call: callObject(callId, 'http://169.254.169.254/latest/meta-data/') });
    await until(() => h.webhookEvents.some((e) => e.call_id === callId && e.data.webhook_status === 'failed'));
    const failed = h.webhookEvents.find((e) => e.call_id === callId && e.data.webhook_status === 'failed')!;
    expect(failed.data.webhook_error).toMatch(/refused address 169\.254\.169\.254.*\(gave up after 1 attempt\)/);
    // The pending announcement always precedes the outcome, even when the attempt fails at once.
    expect(h.webhookEvents.filter((e) => e.call_id === callId).map((e) => e.data.webhook_status)).toEqual(['pending', 'failed']);
  });
});
