import { ToneDetector } from '@parley/audio';
import type { AnsweredBy, VoicemailAction } from '@parley/common';
import type { ConversationLogger } from './conversation-inputs';
import type { ConversationLifetime } from './conversation-lifetime';
import type { Phase } from './phase';
import { soundsLikeMachine, type VoicemailVerdict, VoicemailDetector } from './voicemail-detector';

/** Without a beep this long after a machine was recognized, the message is left anyway. */
const NO_BEEP_MESSAGE_AFTER_MS = 20_000;

/** What the voicemail flow needs from the rest of the conversation. */
export interface VoicemailCall {
  phase(): Phase;
  setPhase(phase: Phase): void;
  /** Stops the agent's turn, if one is playing. */
  interruptAgent(): void;
  endCall(reason: string): void;
  /** The agent's first words (the phase is `opening`). */
  open(): void;
  /** Says the message and hangs up. */
  leaveMessage(message: string): void;
  /** The caller is talking, or words of theirs are being recognized. */
  callerBusy(): boolean;
  /** How long the caller's audio has been quiet (ms of audio). */
  callerQuietMs(): number;
  lifetime: ConversationLifetime;
  logger: ConversationLogger;
}

export interface VoicemailFlowOptions {
  /** Outbound calls listen for a machine; others are answered by a person. */
  detect: boolean;
  action: VoicemailAction;
  message: string;
  windowMs: number;
  longGreetingMs: number;
}

/**
 * Who answered, and what to do about a machine: listens for its beep and its greeting (length, typical phrases),
 * decides once, then hangs up, leaves the message after the beep, or talks to the machine as to a person once its
 * greeting is over, as the agent's voicemail action says.
 */
export class VoicemailFlow {
  answeredBy: AnsweredBy = 'unknown';
  /** A tone like a machine's beep was heard. */
  beepHeard = false;
  private readonly detector: VoicemailDetector;
  private readonly tones = new ToneDetector({ sampleRate: 16000, frequencies: [1000, 1400, 850, 950, 440], minDurationMs: 250 });
  private messageLeft = false;

  constructor(
    private readonly options: VoicemailFlowOptions,
    private readonly call: VoicemailCall,
  ) {
    this.detector = new VoicemailDetector({ longGreetingMs: options.longGreetingMs, windowMs: options.windowMs });
  }

  /** The call is answered: the window in which a machine is told from a person starts (or a person it is). */
  start(): void {
    if (this.options.detect) this.call.lifetime.after(this.options.windowMs, () => this.decideAtWindowEnd());
    else this.answeredBy = 'human';
  }

  /** Caller audio, for the beep. */
  hear(pcm: Int16Array): void {
    if (!this.options.detect) return;
    const phase = this.call.phase();
    if (phase === 'opening' || phase === 'voicemail' || !this.detector.decided) {
      for (const tone of this.tones.push(pcm)) this.onTone(tone.frequency);
    }
  }

  /** Person or machine is settled (or not asked): a reply may be prepared before the caller's turn has ended. */
  get settled(): boolean {
    return !this.options.detect || this.detector.decided;
  }

  /** The caller has been talking for `speechMs` without a pause: a long greeting is a machine's. */
  speaking(speechMs: number): void {
    if (!this.detector.decided && this.options.detect) this.apply(this.detector.speaking(speechMs));
  }

  /** The caller's words, recognized: false when they are not to be answered (a machine's). */
  words(text: string, speechMs: number): boolean {
    if (!this.detector.decided && this.options.detect) {
      const verdict = this.detector.utterance(text, speechMs);
      this.apply(verdict);
      if (verdict?.answeredBy === 'machine') return false;
    }
    if (this.call.phase() === 'voicemail') return false;
    // Silent through the detection window, then talking with the agent: a person who let the agent speak first.
    if (this.answeredBy === 'unknown' && this.detector.decided && !soundsLikeMachine(text)) {
      this.answeredBy = 'human';
      this.call.logger.info({ answered_by: 'human', reason: 'spoke_after_window' }, 'answered by');
    }
    return true;
  }

  /** The machine's greeting stopped (endpointing silence). */
  greetingEnded(): void {
    if (this.options.action === 'continue') {
      this.call.setPhase('opening');
      this.call.open();
      return;
    }
    // No beep yet: give it a moment, then speak.
    this.call.lifetime.after(this.beepHeard ? 0 : 3000, () => this.leaveMessage());
  }

  private onTone(frequency: number): void {
    this.call.logger.info({ frequency }, 'tone heard');
    this.beepHeard = true;
    if (!this.detector.decided && this.options.detect) this.apply(this.detector.beep());
    else if (this.call.phase() === 'voicemail') this.leaveMessageAfterBeep();
  }

  private apply(verdict: VoicemailVerdict | undefined): void {
    const phase = this.call.phase();
    if (!verdict || phase === 'ended' || phase === 'ending') return;
    this.answeredBy = verdict.answeredBy;
    this.call.logger.info({ answered_by: verdict.answeredBy, reason: verdict.reason }, 'answered by');
    if (verdict.answeredBy !== 'machine') return;
    this.call.interruptAgent();
    switch (this.options.action) {
      case 'hangup':
        this.call.endCall('voicemail');
        return;
      case 'continue':
        // Talk to the machine as to a person, once its greeting is over.
        this.call.setPhase('voicemail');
        return;
      case 'leave_message':
        this.call.setPhase('voicemail');
        if (this.beepHeard) this.leaveMessageAfterBeep();
        // A machine that never beeps: speak anyway after a while.
        this.call.lifetime.after(NO_BEEP_MESSAGE_AFTER_MS, () => this.leaveMessage());
        return;
    }
  }

  /**
   * The detection window is over: whatever was heard decides, but not while the caller is still
   * talking or being transcribed (a slow STT must not turn a machine into a person).
   */
  private decideAtWindowEnd(): void {
    if (this.detector.decided) return;
    const elapsedMs = this.call.lifetime.elapsedMs();
    if (this.call.callerBusy() && elapsedMs < 3 * this.options.windowMs) {
      this.call.lifetime.after(250, () => this.decideAtWindowEnd());
      return;
    }
    this.apply(this.detector.tick(elapsedMs));
  }

  private leaveMessageAfterBeep(): void {
    if (this.options.action === 'continue') return;
    // Wait for the tone to stop before speaking.
    const started = performance.now();
    const poll = () => {
      if (this.call.phase() !== 'voicemail') return;
      if (this.call.callerQuietMs() >= 300 || performance.now() - started > 3000) this.leaveMessage();
      else this.call.lifetime.after(50, poll);
    };
    poll();
  }

  private leaveMessage(): void {
    if (this.call.phase() !== 'voicemail' || this.messageLeft || this.options.action !== 'leave_message') return;
    this.messageLeft = true;
    this.call.leaveMessage(this.options.message);
  }
}
