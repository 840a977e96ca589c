import type { AnsweredBy } from '@parley/common';

/**
 * Tells a person from an answering machine in the first seconds of a call. People answer with a
 * short "Hello?" and wait; machines play a long uninterrupted greeting with typical phrases,
 * then beep. Feed it what the call hears; it decides once.
 */
export interface VoicemailVerdict {
  answeredBy: AnsweredBy;
  reason: 'beep' | 'phrase' | 'long_greeting' | 'short_greeting' | 'no_speech' | 'timeout';
}

export interface VoicemailDetectorOptions {
  /** Uninterrupted speech longer than this is a machine's greeting. */
  longGreetingMs: number;
  /** After this long (from answer) without a machine sign, a speaker is a person. */
  windowMs: number;
}

const MACHINE_PHRASES = [
  /leave (me )?(a |your )?(message|name)/,
  /after the (tone|beep)/,
  /at the (tone|beep)/,
  /(can'?t|cannot|not able to) (take|come to|answer) (your|the) (call|phone)/,
  /(is )?(not|un)available/,
  /voice ?mail/,
  /you(?:'ve| have)? reached/,
  /mailbox/,
  /record your message/,
];

export function soundsLikeMachine(text: string): boolean {
  const t = text.toLowerCase().replace(/[^a-z' ]+/g, ' ').replace(/\s+/g, ' ');
  return MACHINE_PHRASES.some((re) => re.test(t));
}

export class VoicemailDetector {
  private verdictValue: VoicemailVerdict | undefined;
  private heardSpeech = false;

  constructor(private readonly options: VoicemailDetectorOptions) {}

  get verdict(): VoicemailVerdict | undefined {
    return this.verdictValue;
  }

  get decided(): boolean {
    return this.verdictValue !== undefined;
  }

  /** A beep tone was heard. */
  beep(): VoicemailVerdict | undefined {
    return this.decide({ answeredBy: 'machine', reason: 'beep' });
  }

  /** Speech is going on and has lasted `speechMs` so far. */
  speaking(speechMs: number): VoicemailVerdict | undefined {
    this.heardSpeech = true;
    if (speechMs >= this.options.longGreetingMs) return this.decide({ answeredBy: 'machine', reason: 'long_greeting' });
    return undefined;
  }

  /** A caller utterance ended and was transcribed. */
  utterance(text: string, speechMs: number): VoicemailVerdict | undefined {
    this.heardSpeech = true;
    if (soundsLikeMachine(text)) return this.decide({ answeredBy: 'machine', reason: 'phrase' });
    if (speechMs >= this.options.longGreetingMs) return this.decide({ answeredBy: 'machine', reason: 'long_greeting' });
    return this.decide({ answeredBy: 'human', reason: 'short_greeting' });
  }

  /** Time since answer; past the window, whatever was heard so far decides. */
  tick(elapsedMs: number): VoicemailVerdict | undefined {
    if (elapsedMs < this.options.windowMs) return undefined;
    return this.decide(this.heardSpeech ? { answeredBy: 'human', reason: 'timeout' } : { answeredBy: 'unknown', reason: 'no_speech' });
  }

  private decide(v: VoicemailVerdict): VoicemailVerdict | undefined {
    if (this.verdictValue) return undefined;
    this.verdictValue = v;
    return v;
  }
}
