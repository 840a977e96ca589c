import { describe, expect, it } from 'vitest';
import { Subjects } from './subjects';

describe('Subjects', () => {
  it('uses plain names without a namespace and prefixes subjects and streams with one', () => {
    const plain = new Subjects();
    expect(plain.dispatch).toBe('calls.dispatch');
    expect(plain.callEvent('abc', 'ended')).toBe('calls.abc.ended');
    expect(plain.callEventsStream).toBe('CALL_EVENTS');
    const ns = new Subjects('t1');
    expect(ns.dispatch).toBe('t1.calls.dispatch');
    expect(ns.allCallEvents).toBe('t1.calls.*.*');
    expect(ns.dispatchStream).toBe('t1_CALL_DISPATCH');
  });

  it("names one media process's own subjects apart from the queue group's and the sessions'", () => {
    const ns = new Subjects('t1');
    expect(ns.mediaLoad).toBe('t1.media.load');
    expect(ns.mediaProcess('media-a', 'allocate')).toBe('t1.media.media-a.allocate');
    expect(ns.mediaProcess('media-a', 'webrtc_offer')).toBe('t1.media.media-a.webrtc_offer');
    // media.<id>.<verb> is one token shorter than media.session.<call>.<verb>: never matched by its wildcard, whatever the id.
    expect(ns.mediaProcess('session', 'cancel').split('.')).toHaveLength(ns.allMediaSessionCommands.split('.').length - 1);
  });
});
