import { encodeWav, rms } from '@parley/audio';
import { TelephoneBandFilter, telephoneBand } from '../media/pcm';
import { normalizeLine, type NormalizedLine, type Scenario } from './scenario';
import { SAMPLE_RATE, beep, concatPcm, silence, type SpeechSource } from './speech';

const FRAME_MS = 20;
const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;
/** Agent audio at or above this RMS counts as speech (about -40 dBFS). */
const SPEECH_RMS = 320;
/** How long after a voiced frame the agent still counts as talking (barge-in trigger). */
const TALKING_HOLD_MS = 200;
/** speak_first and voicemail start this long after the call is bridged. */
const FIRST_WORDS_DELAY_MS = 300;

export interface FarEndStats {
  /** Agent audio frames received, in ms. */
  agentAudioMs: number;
  /** Of which loud enough to be speech, in ms. */
  agentSpeechMs: number;
  linesSpoken: number;
  /** Texts (or WAV paths) of the lines spoken so far. */
  spoken: string[];
}

/**
 * The person (or voicemail box) at the far end of an answered call. It speaks the scenario's
 * lines one per turn: a turn of the agent ends after `turn_silence_ms` of silence following
 * agent speech (energy-based, like a listener would notice). Frames go out on a 20 ms clock
 * taken from the monotonic clock; what the agent says is kept as heard audio.
 */
export class FarEndPhone {
  readonly stats: FarEndStats = { agentAudioMs: 0, agentSpeechMs: 0, linesSpoken: 0, spoken: [] };
  private readonly lines: NormalizedLine[];
  private nextLine = 0;
  private lineScheduled = false;
  private readonly outQueue: Int16Array[] = [];
  private agentSpokeSinceLine = false;
  private lastVoicedAt = -Infinity;
  private bridgedOnce = false;
  private clock: NodeJS.Timeout | undefined;
  private clockStart = 0;
  private framesSent = 0;
  private readonly heard: Int16Array[] = [];
  private heardSamples = 0;
  private startedAt = 0;
  private readonly hearFilter: TelephoneBandFilter | undefined;
  private stopped = false;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly scenario: Scenario,
    private readonly speech: SpeechSource,
    /** Receives each 20 ms frame the far end transmits (16 kHz PCM). */
    private readonly transmit: (frame: Int16Array) => void,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.lines = scenario.outcome === 'voicemail' ? [] : scenario.lines.map(normalizeLine);
    // A narrowband phone hears the agent through the telephone band too.
    this.hearFilter = scenario.codec === 'ulaw' ? new TelephoneBandFilter() : undefined;
    // Synthesize ahead so that answering does not wait for espeak-ng.
    for (const line of this.lines) this.speech.pcm(line, this.scenario.voice).catch(() => undefined);
  }

  /** Starts the 20 ms transmit clock (call answered). */
  start(): void {
    this.startedAt = performance.now();
    this.clockStart = this.startedAt;
    this.scheduleTick();
  }

  /** The audio path exists (the channel is bridged): the far end's first words can be heard now. */
  bridged(): void {
    if (this.bridgedOnce || this.stopped) return;
    this.bridgedOnce = true;
    if (this.scenario.outcome === 'voicemail') {
      this.after(FIRST_WORDS_DELAY_MS, () => void this.playVoicemailGreeting());
    } else if (this.scenario.speak_first && this.lines.length > 0) {
      this.scheduleLine(this.lines[0]!.afterMs || FIRST_WORDS_DELAY_MS);
    }
  }

  /** Agent audio arriving at the far end (16 kHz PCM, any length). */
  hear(pcm16k: Int16Array): void {
    if (this.stopped) return;
    const now = performance.now();
    const audio = this.hearFilter ? this.hearFilter.process(pcm16k) : pcm16k;
    // Keep the heard track aligned with time: fill gaps (no packets) with silence.
    const expected = Math.floor(((now - this.startedAt) * SAMPLE_RATE) / 1000) - audio.length;
    if (expected - this.heardSamples > FRAME_SAMPLES * 3) this.appendHeard(silence(((expected - this.heardSamples) * 1000) / SAMPLE_RATE));
    this.appendHeard(audio);
    const ms = (audio.length * 1000) / SAMPLE_RATE;
    this.stats.agentAudioMs += ms;
    if (rms(audio) >= SPEECH_RMS) {
      this.stats.agentSpeechMs += ms;
      this.lastVoicedAt = now;
      this.agentSpokeSinceLine = true;
    }
  }

  /** The agent's audio as the far end heard it, as a 16 kHz mono WAV. */
  heardWav(): Buffer {
    return encodeWav({ sampleRate: SAMPLE_RATE, channels: 1, samples: concatPcm(this.heard) });
  }

  get isSpeaking(): boolean {
    return this.outQueue.length > 0;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.clock);
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.outQueue.length = 0;
  }

  private appendHeard(pcm: Int16Array): void {
    this.heard.push(pcm);
    this.heardSamples += pcm.length;
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.pending.add(t);
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    const due = this.clockStart + (this.framesSent + 1) * FRAME_MS;
    this.clock = setTimeout(() => this.tick(), Math.max(0, due - performance.now()));
  }

  private tick(): void {
    if (this.stopped) return;
    const now = performance.now();
    // Catch up after a late timer so the long-run rate stays exactly 50 frames per second.
    while (this.clockStart + (this.framesSent + 1) * FRAME_MS <= now + 1) {
      this.framesSent++;
      const frame = this.outQueue.shift();
      if (frame) this.transmit(frame);
      else if (this.scenario.send_silence) this.transmit(new Int16Array(FRAME_SAMPLES));
    }
    this.considerTurn(now);
    this.scheduleTick();
  }

  private considerTurn(now: number): void {
    if (this.lineScheduled || this.isSpeaking || this.nextLine >= this.lines.length || !this.bridgedOnce) return;
    const line = this.lines[this.nextLine]!;
    if (line.bargeIn) {
      if (now - this.lastVoicedAt <= TALKING_HOLD_MS) this.scheduleLine(line.afterMs);
      return;
    }
    if (this.agentSpokeSinceLine && now - this.lastVoicedAt >= this.scenario.turn_silence_ms) this.scheduleLine(line.afterMs);
  }

  private scheduleLine(delayMs: number): void {
    this.lineScheduled = true;
    const index = this.nextLine;
    this.after(delayMs, () => void this.speakLine(index));
  }

  private async speakLine(index: number): Promise<void> {
    const line = this.lines[index]!;
    try {
      let pcm = await this.speech.pcm(line, this.scenario.voice);
      if (this.stopped) return;
      if (this.scenario.codec === 'ulaw') pcm = telephoneBand(pcm);
      this.agentSpokeSinceLine = false;
      this.enqueue(pcm);
      this.stats.linesSpoken++;
      this.stats.spoken.push(line.text ?? line.wav ?? '');
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.nextLine = index + 1;
      this.lineScheduled = false;
    }
  }

  private async playVoicemailGreeting(): Promise<void> {
    try {
      let greeting = await this.speech.pcm({ text: this.scenario.voicemail_greeting, afterMs: 0, bargeIn: false }, this.scenario.voice);
      if (this.stopped) return;
      if (this.scenario.codec === 'ulaw') greeting = telephoneBand(greeting);
      this.enqueue(concatPcm([greeting, silence(300), beep()]));
      this.stats.spoken.push(this.scenario.voicemail_greeting, '(beep)');
    } catch (error) {
      this.onError(error as Error);
    }
  }

  private enqueue(pcm: Int16Array): void {
    for (let offset = 0; offset < pcm.length; offset += FRAME_SAMPLES) {
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm.subarray(offset, Math.min(pcm.length, offset + FRAME_SAMPLES)));
      this.outQueue.push(frame);
    }
  }
}
