import { describe, expect, it } from 'vitest';
import { soundsLikeMachine, VoicemailDetector } from './voicemail-detector';

const opts = { longGreetingMs: 3500, windowMs: 6000 };

describe('VoicemailDetector', () => {
  it('takes a short hello for a person', () => {
    const d = new VoicemailDetector(opts);
    expect(d.speaking(600)).toBeUndefined();
    expect(d.utterance('hello', 700)).toEqual({ answeredBy: 'human', reason: 'short_greeting' });
  });

  it('takes a long uninterrupted greeting for a machine, while it is still playing', () => {
    const d = new VoicemailDetector(opts);
    expect(d.speaking(2000)).toBeUndefined();
    expect(d.speaking(3600)).toEqual({ answeredBy: 'machine', reason: 'long_greeting' });
  });

  it('takes a beep for a machine', () => {
    expect(new VoicemailDetector(opts).beep()).toEqual({ answeredBy: 'machine', reason: 'beep' });
  });

  it('recognizes voicemail phrases even in a short utterance', () => {
    expect(new VoicemailDetector(opts).utterance("you've reached maria please leave a message", 2500)).toEqual({ answeredBy: 'machine', reason: 'phrase' });
  });

  it('decides once: later signs do not change the verdict', () => {
    const d = new VoicemailDetector(opts);
    d.utterance('hi', 500);
    expect(d.beep()).toBeUndefined();
    expect(d.verdict?.answeredBy).toBe('human');
  });

  it('is unknown when nobody spoke within the window', () => {
    const d = new VoicemailDetector(opts);
    expect(d.tick(5000)).toBeUndefined();
    expect(d.tick(6000)).toEqual({ answeredBy: 'unknown', reason: 'no_speech' });
  });

  it('knows the typical phrases', () => {
    expect(soundsLikeMachine("Hi, you've reached Maria. I can't take your call right now.")).toBe(true);
    expect(soundsLikeMachine('Please leave a message after the tone')).toBe(true);
    expect(soundsLikeMachine('Hello, this is Maria speaking')).toBe(false);
    expect(soundsLikeMachine('Yes, Tuesday works for me')).toBe(false);
  });
});
