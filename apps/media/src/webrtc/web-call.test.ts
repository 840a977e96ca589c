import { parseRtpPacket } from '@parley/audio';
import { type RTCDataChannel, RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { endedEvent, PageChannel, plainRtp, withPublicAddress } from './web-call';

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


describe('endedEvent', () => {
  const at = new Date('2026-12-04T10:00:00Z');
  it('completes a call whose media connected, whoever ended it', () => {
    expect(endedEvent('caller_hangup', at)).toMatchObject({ status: 'completed', answered: true, answered_at: at.toISOString(), hangup_by: 'caller', error_code: null });
    expect(endedEvent('end_call', at)).toMatchObject({ status: 'completed', hangup_by: 'agent' });
  });
  it('cancels one the page or the API ended before its media connected, and fails one that never connected', () => {
    expect(endedEvent('caller_hangup', null)).toMatchObject({ status: 'canceled', answered: false, hangup_by: 'caller', hangup_cause: 'The page hung up before connecting', error_code: null });
    expect(endedEvent('api', null)).toMatchObject({ status: 'canceled', hangup_by: 'api', error_code: null });
    expect(endedEvent('not_connected', null)).toMatchObject({ status: 'failed', hangup_by: 'system', error_code: 'webrtc_not_connected' });
    expect(endedEvent('media_shutdown', null)).toMatchObject({ status: 'failed', error_code: 'webrtc_not_connected' });
  });
});

describe('PageChannel', () => {
  function channel(label = 'parley') {
    const listeners: Array<(state: string) => void> = [];
    const sent: string[] = [];
    const dc = {
      label,
      readyState: 'connecting',
      stateChanged: { subscribe: (fn: (state: string) => void) => listeners.push(fn) },
      send: (data: string) => sent.push(data),
    };
    const open = () => {
      dc.readyState = 'open';
      for (const fn of listeners) fn('open');
    };
    return { dc: dc as unknown as RTCDataChannel, sent, open };
  }

  it('keeps what is said before the channel opens (the media connects first) and sends it on open, in order', () => {
    const page = new PageChannel();
    page.send({ type: 'connected' });
    const c = channel();
    page.attach(c.dc);
    page.send({ type: 'ended', reason: 'agent', hangup_by: 'agent' });
    expect(c.sent).toEqual([]);
    c.open();
    expect(c.sent.map((d) => JSON.parse(d).type)).toEqual(['connected', 'ended']);
    page.send({ type: 'connected' });
    expect(c.sent).toHaveLength(3);
  });

  it('ignores channels not named parley, and keeps only the newest 64 messages for a channel that never opens', () => {
    const page = new PageChannel();
    const other = channel('chat');
    page.attach(other.dc);
    for (let i = 0; i < 100; i++) page.send({ type: 'transcript', segment: { role: 'agent', text: String(i), start_ms: i, end_ms: i, interrupted: false } as never });
    other.open();
    expect(other.sent).toEqual([]);
    const c = channel();
    page.attach(c.dc);
    c.open();
    expect(c.sent).toHaveLength(64);
    expect(JSON.parse(c.sent[0]!).segment.text).toBe('36');
  });
});
