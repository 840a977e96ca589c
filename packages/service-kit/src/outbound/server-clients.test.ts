import { describe, expect, it } from 'vitest';
import { ServerClients } from './server-clients';

describe('ServerClients', () => {
  it('keeps one client per server and key, and drops the least recently used past its cap', () => {
    let made = 0;
    const clients = new ServerClients((url, key) => ({ url, key, n: ++made }), 2);
    const a = clients.get('http://10.0.0.5/v1', 'k1');
    expect(clients.get('http://10.0.0.5/v1', 'k1')).toBe(a);
    expect(clients.get('http://10.0.0.5/v1', 'k2')).not.toBe(a);
    expect(clients.get('http://10.0.0.5/v1', null)).not.toBe(a);
    // Cap 2: taking k2 and then no key dropped a, the least recently used.
    const again = clients.get('http://10.0.0.5/v1', 'k1');
    expect(again).not.toBe(a);
    expect(again).toMatchObject({ url: 'http://10.0.0.5/v1', key: 'k1' });
    expect(made).toBe(4);
  });
});
