import { describe, expect, it } from 'vitest';
import { SessionAdmission } from './session-admission';

describe('SessionAdmission', () => {
  it('refuses at capacity, counting sessions still opening, and takes calls again when one ends', () => {
    let held = 0;
    const admission = new SessionAdmission(2, () => held);
    expect(admission.admit('a')).toBeUndefined();
    expect(admission.admit('b')).toBeUndefined();
    // Both still opening: a third arriving together is refused, not let through to overshoot.
    expect(admission.load).toBe(2);
    expect(admission.admit('c')).toEqual({ reason: 'full', error: 'media service is full (2 sessions)' });
    expect(admission.settle('a')).toBe(true);
    held = 1;
    expect(admission.settle('b')).toBe(true);
    held = 2;
    expect(admission.admit('c')?.reason).toBe('full');
    held = 1;
    expect(admission.admit('c')).toBeUndefined();
  });

  it('a session that failed to open frees its place', () => {
    const admission = new SessionAdmission(1, () => 0);
    expect(admission.admit('a')).toBeUndefined();
    admission.settle('a');
    expect(admission.admit('b')).toBeUndefined();
  });

  it('refuses everything once shutting down, and a second allocate of a call still opening', () => {
    const admission = new SessionAdmission(10, () => 0);
    expect(admission.admit('a')).toBeUndefined();
    expect(admission.admit('a')?.reason).toBe('duplicate');
    admission.stop();
    expect(admission.accepting).toBe(false);
    expect(admission.admit('b')).toEqual({ reason: 'shutting_down', error: 'media service is shutting down' });
  });

  it('a call withdrawn while opening settles as withdrawn; one not opening is not withdrawn', () => {
    const admission = new SessionAdmission(10, () => 0);
    admission.admit('a');
    expect(admission.withdraw('a')).toBe(true);
    expect(admission.settle('a')).toBe(false);
    expect(admission.withdraw('a')).toBe(false);
    expect(admission.load).toBe(0);
  });
});
