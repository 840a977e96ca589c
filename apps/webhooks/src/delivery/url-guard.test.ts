import { describe, expect, it } from 'vitest';
import { RefusedUrlError, UrlGuard } from './url-guard';

const guard = (o: Partial<ConstructorParameters<typeof UrlGuard>[0]> = {}) => new UrlGuard({ allow: [], platformPorts: [3000, 5432, 4222], blockPrivate: false, ...o });

function lookup(g: UrlGuard, host: string, port: number): Promise<unknown> {
  return new Promise((resolve, reject) => g.lookupFor(port)(host, {}, (err: unknown, address: unknown) => (err ? reject(err) : resolve(address))));
}

describe('UrlGuard', () => {
  it.each([
    ['ftp://example.com/x', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['not a url', /not a valid URL/],
    ['http://169.254.169.254/latest/meta-data/', /link-local, cloud metadata/],
    ['http://169.254.10.1/', /link-local/],
    ['http://[::ffff:169.254.169.254]/', /refused address 169\.254\.169\.254/],
    ['http://[fe80::1]/', /link-local/],
    ['http://0.0.0.0:8080/', /reserved/],
    ['http://127.0.0.1:5432/', /Parley service port/],
    ['http://127.0.0.1:3000/v1/calls', /Parley service port/],
    ['http://[::1]:4222/', /Parley service port/],
  ])('refuses %s', (url, reason) => {
    expect(() => guard().checkUrl(url)).toThrow(reason);
  });

  it.each(['https://hooks.example.com/parley', 'http://10.0.0.5/hook', 'http://192.168.1.20:8080/', 'http://127.0.0.1:9999/hook', 'http://[fd12::1]/'])('allows %s by default', (url) => {
    expect(() => guard().checkUrl(url)).not.toThrow();
  });

  it('refuses private ranges and loopback when asked to', () => {
    const g = guard({ blockPrivate: true });
    expect(() => g.checkUrl('http://10.0.0.5/hook')).toThrow(/private address/);
    expect(() => g.checkUrl('http://127.0.0.1:9999/')).toThrow(/private address/);
    expect(() => g.checkUrl('https://93.184.216.34/')).not.toThrow();
  });

  it('lets the allow list through, by CIDR, address or host name', () => {
    expect(() => guard({ allow: ['169.254.0.0/16'] }).checkUrl('http://169.254.1.1/')).not.toThrow();
    expect(() => guard({ allow: ['127.0.0.1'] }).checkUrl('http://127.0.0.1:3000/')).not.toThrow();
    expect(() => guard({ allow: ['internal.local'], blockPrivate: true }).checkAddress('10.1.1.1', 80, 'internal.local')).not.toThrow();
  });

  it('checks the address a host name resolves to, at connect time', async () => {
    await expect(lookup(guard(), 'localhost', 5432)).rejects.toBeInstanceOf(RefusedUrlError);
    await expect(lookup(guard(), 'localhost', 9999)).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
