import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './api-harness';

// Issue 21: the api serves the built console at /console (a stand-in build here; the browser tests use the real one).
let api: ApiHarness;
let missing: ApiHarness;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley console</title><script type="module" src="/console/assets/app-1a2b.js"></script>');
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("app")');
  writeFileSync(join(tmpdir(), 'parley-console-secret.txt'), 'not for the web');
  api = await startApi({ CONSOLE_DIR: dir });
  missing = await startApi({ CONSOLE_DIR: join(dir, 'nothing-here') });
});
afterAll(async () => {
  await api?.close();
  await missing?.close();
});

const get = (base: string, path: string) => fetch(`${base}${path}`, { redirect: 'manual' });

describe('the console', () => {
  it('is served at /console with no key: the page for every path under it (routed in the browser), hashed assets for a year', async () => {
    for (const path of ['/console', '/console/', '/console/calls', '/console/calls/3d9e2f4c-8a1b-4c5d-9e6f-7a8b9c0d1e2f?status=failed']) {
      const res = await get(api.url, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toContain('<title>Parley console</title>');
    }
    const asset = await get(api.url, '/console/assets/app-1a2b.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('application/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log("app")');
  });

  it('answers a missing asset and a path outside its folder with a 404 in the error shape, and says when it is not built', async () => {
    for (const path of ['/console/assets/app-old.js', '/console/../parley-console-secret.txt', '/console/%2e%2e/parley-console-secret.txt', '/console/assets/..%2f..%2fparley-console-secret.txt']) {
      const res = await get(api.url, path);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { error: { type: string; code: string } };
      expect(body.error.code, path).toMatch(/not_found/);
      expect(JSON.stringify(body)).not.toContain('not for the web');
    }
    const res = await get(missing.url, '/console/agents');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/console is not built.*pnpm build/);
  });
});
