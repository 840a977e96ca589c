import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundAddressPolicy } from './address-policy';
import { createGuardedFetch } from './guarded-fetch';

let server: http.Server;
let port = 0;
const hits: string[] = [];
const closed: string[] = [];
let release: () => void = () => undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (req.url === '/big') return res.end('x'.repeat(100_000));
    if (req.url === '/slow') {
      // The first line now, the rest only when the test says so: a streamed body must show the first line before then.
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"say":"one"}\n');
      release = () => res.end('{"say":"two"}\n');
      req.on('close', () => closed.push(req.url!));
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const policy = (allow: string[] = []) => new OutboundAddressPolicy({ allow, platformPorts: [], blockPrivate: false });

describe('createGuardedFetch', () => {
  it('refuses loopback by literal and by name unless allow-listed, and nothing reaches the server', async () => {
    hits.length = 0;
    const f = createGuardedFetch(policy(), { maxResponseBytes: 1000 });
    await expect(f(`http://127.0.0.1:${port}/a`)).rejects.toThrow(/refused address 127\.0\.0\.1/);
    await expect(f(`http://localhost:${port}/b`)).rejects.toThrow(/refused address/);
    expect(hits).toEqual([]);
    const allowed = createGuardedFetch(policy(['127.0.0.1', '::1']), { maxResponseBytes: 1000 });
    expect(await (await allowed(`http://127.0.0.1:${port}/c`)).text()).toBe('ok');
    expect(hits).toEqual(['/c']);
  });

  it('catches DNS rebinding at connect time: a name that answered public first, loopback next', async () => {
    hits.length = 0;
    let calls = 0;
    const rebinding = (_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
    const f = createGuardedFetch(policy(), { maxResponseBytes: 1000, lookup: rebinding as never });
    // A check made before connecting (the first answer) would pass; the connection's own lookup sees loopback.
    rebinding('rebind.test', {}, () => undefined);
    await expect(f(`http://rebind.test:${port}/x`)).rejects.toThrow(/refused address 127\.0\.0\.1 for rebind\.test/);
    expect(hits).toEqual([]);
  });

  it('does not follow a redirect (here to the metadata address) and caps the answer', async () => {
    const f = createGuardedFetch(policy(['127.0.0.1']), { maxResponseBytes: 1000 });
    await expect(f(`http://127.0.0.1:${port}/redirect`)).rejects.toThrow(/redirects are not followed \(302 to http:\/\/169\.254\.169\.254/);
    expect((await (await f(`http://127.0.0.1:${port}/big`)).text()).length).toBe(1000);
  });

  it('refuses schemes other than http and https', async () => {
    await expect(createGuardedFetch(policy(), { maxResponseBytes: 10 })('file:///etc/passwd')).rejects.toThrow(/only http and https/);
  });

  it('streamed, hands the body over as it arrives, caps it with an error, and an abort closes the connection', async () => {
    const f = createGuardedFetch(policy(['127.0.0.1']), { maxResponseBytes: 1000, stream: true });
    const res = await f(`http://127.0.0.1:${port}/slow`);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    expect(dec.decode((await reader.read()).value)).toBe('{"say":"one"}\n');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += dec.decode(r.value);
    expect(rest).toBe('{"say":"two"}\n');

    await expect((await f(`http://127.0.0.1:${port}/big`)).text()).rejects.toThrow(/longer than 1000 bytes/);

    closed.length = 0;
    const abort = new AbortController();
    const aborted = await f(`http://127.0.0.1:${port}/slow`, { signal: abort.signal });
    const r2 = aborted.body!.getReader();
    await r2.read();
    abort.abort();
    await expect(r2.read()).rejects.toThrow();
    await expect.poll(() => closed).toEqual(['/slow']);
    release();
  });
});
