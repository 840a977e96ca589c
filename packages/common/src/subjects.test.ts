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
});
