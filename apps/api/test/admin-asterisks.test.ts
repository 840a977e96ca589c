import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './api-harness';

// The admin API's Asterisk registry: the platform's PARLEY_ADMIN_TOKEN, never an account's key; the same registry the
// CLI writes (its rows are what the dialers read: apps/dialer, e2e/test/two-asterisks.test.ts).
const TOKEN = 'admin-token-for-tests-0123456789abcdef';
let api: ApiHarness;
let off: ApiHarness;
beforeAll(async () => {
  api = await startApi({ PARLEY_ADMIN_TOKEN: TOKEN });
  off = await startApi();
});
afterAll(async () => {
  await api?.close();
  await off?.close();
});

const asterisks = async () => Number((await api.ds.query(`SELECT count(*) AS n FROM asterisks`))[0].n);
const east = { name: 'east-1', ari_url: 'http://10.0.0.5:8088/ari/', ari_username: 'parley', ari_password: 'ari-s3cret', capacity: 200, site: 'paris', labels: ['tls'] };

describe('admin API: /v1/admin/asterisks', () => {
  it('answers 403 admin_api_disabled on an api without PARLEY_ADMIN_TOKEN, and 401 to an account key or a wrong token, writing nothing', async () => {
    expect(await off.call('GET', '/v1/admin/asterisks', { key: TOKEN })).toMatchObject({ status: 403, body: { error: { type: 'invalid_request_error', code: 'admin_api_disabled' } } });
    const account = await api.createAccount();
    const before = await asterisks();
    for (const key of [account.apiKey, `${TOKEN}x`, null]) {
      const res = await api.call('POST', '/v1/admin/asterisks', { key, body: east });
      expect(res.status, String(key)).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect(await asterisks()).toBe(before);
  });

  it('registers, lists, changes and removes an Asterisk; the password is sealed and never shown', async () => {
    const created = await api.call('POST', '/v1/admin/asterisks', { key: TOKEN, body: east });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ object: 'asterisk', name: 'east-1', ari_url: 'http://10.0.0.5:8088/ari', ari_username: 'parley', has_password: true, site: 'paris', labels: ['tls'], capacity: 200 });
    expect(JSON.stringify(created.body)).not.toContain('ari-s3cret');
    const [row] = await api.ds.query(`SELECT ari_password_encrypted FROM asterisks WHERE name = 'east-1'`);
    expect(row.ari_password_encrypted).not.toContain('ari-s3cret');

    expect((await api.call('POST', '/v1/admin/asterisks', { key: TOKEN, body: east })).body.error).toMatchObject({ code: 'asterisk_name_taken', param: 'name' });
    const list = await api.call('GET', '/v1/admin/asterisks', { key: TOKEN });
    expect(list.body).toMatchObject({ object: 'list', has_more: false });
    expect(list.body.data.map((a: { name: string }) => a.name)).toContain('east-1');

    const changed = await api.call('PATCH', '/v1/admin/asterisks/east-1', { key: TOKEN, body: { capacity: 300, site: null } });
    expect(changed.body).toMatchObject({ name: 'east-1', capacity: 300, site: null });
    expect((await api.call('DELETE', '/v1/admin/asterisks/east-1', { key: TOKEN })).body).toEqual({ object: 'asterisk', name: 'east-1', deleted: true });
    expect((await api.call('DELETE', '/v1/admin/asterisks/east-1', { key: TOKEN })).body.error).toMatchObject({ code: 'resource_not_found', param: 'name' });
  });

  it('refuses bad input in the error shape naming the field, writing nothing', async () => {
    const before = await asterisks();
    const refused = async (body: unknown, param: string) => {
      const res = await api.call('POST', '/v1/admin/asterisks', { key: TOKEN, body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.param).toBe(param);
    };
    await refused({ ...east, name: 'sandbox' }, 'name');
    await refused({ ...east, name: 'Upper Case' }, 'name');
    await refused({ ...east, ari_url: 'ftp://x/ari' }, 'ari_url');
    await refused({ ...east, capacity: 0 }, 'capacity');
    await refused({ ...east, extra: true }, 'extra');
    const { ari_password: _password, ...noPassword } = east;
    await refused(noPassword, 'ari_password');
    expect(await asterisks()).toBe(before);
    expect((await api.call('PATCH', '/v1/admin/asterisks/nope', { key: TOKEN, body: { capacity: 5 } })).status).toBe(404);
    expect((await api.call('PATCH', '/v1/admin/asterisks/nope', { key: TOKEN, body: {} })).status).toBe(400);
    // A name the database cannot hold (NUL) names nothing, like any unknown one.
    for (const bad of ['%00', 'x%00y']) {
      expect((await api.call('PATCH', `/v1/admin/asterisks/${bad}`, { key: TOKEN, body: { capacity: 5 } })).body.error).toMatchObject({ code: 'resource_not_found' });
      expect((await api.call('DELETE', `/v1/admin/asterisks/${bad}`, { key: TOKEN })).body.error).toMatchObject({ code: 'resource_not_found' });
    }
  });
});
