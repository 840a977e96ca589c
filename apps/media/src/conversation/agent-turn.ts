import type { LlmMessage, Tts } from '../providers/types';
import { isAbortError } from '../providers/types';
import type { ConversationLogger } from './conversation-inputs';
import type { ConversationLifetime } from './conversation-lifetime';
import type { AgentAudioOut } from './playout';
import type { Transcript } from './transcript';
import { type TurnLatency, type TurnMarks, turnLatency } from './turn-latency';

/** What every turn of the agent speaks through and records into. */
export interface TurnOutlets {
  tts: Tts;
  playout: AgentAudioOut;
  voice: string | null;
  language: string;
  /** The model's history, shared with the conversation. */
  history: LlmMessage[];
  transcript: Transcript;
  lifetime: ConversationLifetime;
  logger: ConversationLogger;
  /** The turn's first audio went out and its marks were complete. */
  onLatency: (latency: TurnLatency) => void;
  /** The turn played to its end (it was not interrupted). */
  onFinished: () => void;
}

/**
 * One turn of the agent: sentences synthesized and queued for playout as they come, what the caller actually heard
 * (for the transcript and the model's history), and its cancellation. Interrupted, it stops the audio, the model and
 * the synthesis at once and rewrites its part of the history to what was heard.
 */
export class AgentTurn {
  readonly controller = new AbortController();
  /** Sentences whose first sample went out. */
  readonly spoken: string[] = [];
  /** When its first sentence started playing (ms since the conversation started). */
  startMs: number | undefined;
  finished = false;
  /** Assistant messages this turn added to the history (rewritten if the caller interrupts). */
  readonly messages: LlmMessage[] = [];
  /** The model whose words this turn speaks, as its server named it (undefined: only fixed phrases). */
  model: string | undefined;
  /** A filler was already said in this turn. */
  filled = false;
  /** Words said before this turn still being recognized: the turn's segment waits for theirs. */
  after?: Promise<void>;
  /** The turn waits on its gate: nothing has played, so the caller talking is no barge-in. */
  held: boolean;

  /**
   * `gate`: a reply prepared while the caller was only quiet plays once it resolves true (the turn ended), never if
   * false.
   */
  constructor(
    private readonly out: TurnOutlets,
    readonly marks: TurnMarks | undefined,
    readonly gate?: Promise<boolean>,
  ) {
    this.held = gate !== undefined;
    void gate?.then(() => (this.held = false));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Says these sentences, one after another. */
  say(...sentences: string[]): Promise<void> {
    return this.speak(fromList(sentences));
  }

  /** TTS of each sentence as it comes, queued for playout; the turn's first audio out marks its latency. */
  async speak(sentences: AsyncIterable<string>): Promise<void> {
    const signal = this.signal;
    const marks = this.marks;
    for await (const sentence of sentences) {
      if (signal.aborted) return;
      if (marks && marks.firstSentence === undefined) marks.firstSentence = performance.now();
      let first = true;
      try {
        for await (const pcm of this.out.tts.synthesize(sentence, { voice: this.out.voice, language: this.out.language, signal })) {
          if (signal.aborted) return;
          if (marks && marks.ttsFirstAudio === undefined) marks.ttsFirstAudio = performance.now();
          if (this.gate && !(await this.gate)) return;
          if (signal.aborted) return;
          this.out.playout.push(pcm, first ? (sentAt) => this.onSentencePlaying(sentence, sentAt) : undefined);
          first = false;
        }
      } catch (err) {
        if (signal.aborted || isAbortError(err)) return;
        this.out.logger.warn({ err, sentence }, 'speech synthesis failed');
      }
    }
  }

  /** Adds what the agent is saying to the history (rewritten to what was heard if the caller interrupts). */
  remember(content: string): void {
    if (this.signal.aborted) return;
    this.record({ role: 'assistant', content });
  }

  /** Adds one of this turn's messages to the history. */
  record(message: LlmMessage): void {
    this.out.history.push(message);
    this.messages.push(message);
  }

  /** Waits until the turn's audio has played, then records it. */
  async finish(): Promise<void> {
    if (this.finished) return;
    await this.out.playout.drained();
    if (this.finished || this.signal.aborted) return;
    this.finished = true;
    const elapsed = this.out.lifetime.elapsedMs();
    if (this.spoken.length > 0) this.out.transcript.add('agent', this.spoken.join(' '), this.startMs ?? elapsed, elapsed, false, this.model);
    this.out.onFinished();
  }

  /** The caller talked over it (or the call is ending): stop now, cancel the model and TTS, keep what was said. */
  interrupt(): void {
    if (this.finished) return;
    this.finished = true;
    // Cleared before the abort: a leg that learns late what went out reports it now, and a
    // sentence the caller started hearing still counts as said.
    this.out.playout.clear();
    this.controller.abort();
    const history = this.out.history;
    const said = this.spoken.join(' ');
    if (said) {
      const [startMs, endMs] = [this.startMs ?? this.out.lifetime.elapsedMs(), this.out.lifetime.elapsedMs()];
      const model = this.model;
      const add = () => this.out.transcript.add('agent', said, startMs, endMs, true, model);
      if (this.after) void this.after.then(add);
      else add();
    }
    // The model must know what the caller actually heard, not what it wrote.
    const heard = said ? `${said} [interrupted by the caller]` : null;
    const written = this.messages.filter((m) => m.content);
    for (const m of written) m.content = null;
    for (const m of this.messages) {
      if (!m.content && !m.tool_calls?.length) history.splice(history.indexOf(m), 1);
    }
    if (heard) {
      const first = written.find((m) => m.tool_calls?.length);
      if (first) first.content = heard;
      else history.push({ role: 'assistant', content: heard });
    }
  }

  /** A reply prepared in a pause that the caller went on through: never played, and gone from the history with `also`. */
  discard(also: LlmMessage[]): void {
    this.finished = true;
    this.controller.abort();
    const history = this.out.history;
    for (const m of [...this.messages, ...also]) {
      const i = history.lastIndexOf(m);
      if (i >= 0) history.splice(i, 1);
    }
  }

  /** The sentence's first sample went out at `sentAt`. */
  private onSentencePlaying(sentence: string, sentAt: number): void {
    if (this.signal.aborted) return;
    this.spoken.push(sentence);
    if (this.startMs !== undefined) return;
    this.startMs = sentAt - this.out.lifetime.startMs;
    if (this.marks && this.marks.firstAudioOut === undefined) {
      this.marks.firstAudioOut = sentAt;
      const latency = turnLatency(this.marks);
      if (latency) this.out.onLatency(latency);
    }
  }
}

async function* fromList(items: string[]): AsyncIterable<string> {
  yield* items;
}
