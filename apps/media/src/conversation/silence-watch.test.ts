import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SilenceWatch } from './silence-watch';

describe('SilenceWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks after the reprompt time and hangs up at the hang-up time, both counted from when the silence began', () => {
    const due: string[] = [];
    const watch = new SilenceWatch({ repromptMs: 1000, hangupMs: 3000 }, (step) => {
      due.push(step);
      return true;
    });
    watch.arm();
    vi.advanceTimersByTime(999);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(['reprompt']);
    // The reprompt was said: armed again, the hang-up is still 3 s after the silence began.
    vi.advanceTimersByTime(500);
    watch.arm();
    vi.advanceTimersByTime(1499);
    expect(due).toEqual(['reprompt']);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(['reprompt', 'hang_up']);
  });

  it('starts over when the caller speaks, and a step deferred (someone talking) stays due at the next arm', () => {
    const due: string[] = [];
    let busy = true;
    const watch = new SilenceWatch({ repromptMs: 1000, hangupMs: 3000 }, (step) => {
      due.push(step);
      return !busy;
    });
    watch.arm();
    vi.advanceTimersByTime(1000);
    watch.arm();
    busy = false;
    vi.advanceTimersByTime(0);
    expect(due).toEqual(['reprompt', 'reprompt']);
    watch.reset();
    watch.arm();
    vi.advanceTimersByTime(999);
    expect(due).toEqual(['reprompt', 'reprompt']);
    watch.stop();
    vi.advanceTimersByTime(5000);
    expect(due).toEqual(['reprompt', 'reprompt']);
  });
});
