import { describe, expect, it } from 'vitest';
import { withPublicAddress } from './web-call';

describe('withPublicAddress', () => {
  it('offers each host candidate on the bound address again on the public one, same port, just below it', () => {
    const sdp = [
      'v=0',
      'a=candidate:abc 1 udp 2116026367 10.0.0.5 41003 typ host generation 0 ufrag x',
      'a=candidate:def 1 udp 2116026367 172.17.0.1 41004 typ host generation 0 ufrag x',
      'a=end-of-candidates',
    ].join('\r\n');
    expect(withPublicAddress(sdp, '10.0.0.5', '203.0.113.7').split('\r\n')).toEqual([
      'v=0',
      'a=candidate:abc 1 udp 2116026367 10.0.0.5 41003 typ host generation 0 ufrag x',
      'a=candidate:abcn 1 udp 2116026366 203.0.113.7 41003 typ host generation 0 ufrag x',
      'a=candidate:def 1 udp 2116026367 172.17.0.1 41004 typ host generation 0 ufrag x',
      'a=end-of-candidates',
    ]);
  });
});
