import { parseRtpPacket } from '@parley/audio';
import { RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { plainRtp, withPublicAddress } from './web-call';

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

describe('plainRtp', () => {
  it("gives the leg what a browser's packet says (marker, payload type, sequence, timestamp, SSRC, payload) without its extensions", () => {
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    const header = new RtpHeader({ marker: true, payloadType: 9, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0x89abcdef, extension: true, extensions: [{ id: 1, payload: Buffer.from([0x7f]) }] });
    // As werift hands it over: parsed from the wire.
    const received = RtpPacket.deSerialize(new RtpPacket(header, payload).serialize());
    const parsed = parseRtpPacket(plainRtp(received));
    expect(parsed.header).toMatchObject({ version: 2, marker: true, payloadType: 9, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0x89abcdef, extension: false, csrcs: [] });
    expect([...parsed.payload]).toEqual([1, 2, 3, 4, 5]);
  });
});

