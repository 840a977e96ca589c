import type { LlmMessage } from '../providers/types';
import type { AgentTurn } from './agent-turn';
import type { CallerUtterance } from './caller-speech';
import type { Transcript } from './transcript';
import type { TurnMarks } from './turn-latency';

/**
 * A reply prepared while the caller only paused (adaptive endpointing): their words so far recognized, answered and
 * synthesized before the turn has surely ended. It plays if the turn does end in this pause (`commit`), and is thrown
 * away unheard if the caller goes on (`drop`); until then its turn's gate holds the audio and the tools.
 */
export class PreparedReply {
  /** The words recognized (undefined while recognizing). */
  text: string | undefined;
  /** The agent's turn preparing the reply, once the words are known. */
  turn: AgentTurn | undefined;
  committed = false;
  dropped = false;
  readonly marks: TurnMarks;
  /** Resolves true when the reply may play, false when it never will. */
  readonly gate: Promise<boolean>;
  /** The caller's words in the model's history, while the reply is prepared. */
  private message: LlmMessage | undefined;
  /** Kept at the turn's end, in case preparing fails after it: the utterance then goes the usual way. */
  private utterance: CallerUtterance | undefined;
  private open: (play: boolean) => void = () => undefined;

  /** `pauseAt`: the pause it is prepared in (the end of the last voiced window); speech that resumes changes it. */
  constructor(
    readonly pauseAt: number,
    readonly startMs: number,
    speechEnd: number,
    private readonly transcript: Transcript,
  ) {
    this.marks = { speechEnd };
    this.gate = new Promise<boolean>((resolve) => (this.open = resolve));
  }

  /** The words are recognized. */
  recognized(text: string): void {
    this.marks.sttFinal = performance.now();
    this.text = text;
  }

  /** `turn` prepares the reply to `message`, the words in the model's history. */
  preparing(message: LlmMessage, turn: AgentTurn | undefined): void {
    this.message = message;
    this.turn = turn;
    if (this.committed) this.play();
  }

  /** The turn ended in this pause: the reply plays now (or as soon as it is ready). */
  commit(utterance: CallerUtterance): void {
    this.committed = true;
    this.utterance = utterance;
    // The same pause's end, as the utterance reckons it: in the same step as its endpoint, so that the two differ by
    // the caller's audio between them (the silence), whatever the event loop's delays since the pause was looked at.
    this.marks.speechEnd = utterance.marks.speechEnd;
    this.marks.endpointDue = utterance.marks.endpointDue;
    this.marks.endpoint = utterance.marks.endpoint;
    if (this.text !== undefined) this.play();
  }

  /** The caller went on: the reply is never played and leaves the history. Returns the turn that was preparing it. */
  drop(): AgentTurn | undefined {
    this.dropped = true;
    this.open(false);
    this.turn?.discard(this.message ? [this.message] : []);
    return this.turn;
  }

  /** Preparing failed or heard nothing: returns the caller's utterance, if their turn already ended, to go the usual way. */
  abandon(): CallerUtterance | undefined {
    this.dropped = true;
    this.open(false);
    return this.utterance && { ...this.utterance, startMs: this.startMs };
  }

  /** The call is over. */
  cancel(): void {
    this.open(false);
  }

  private play(): void {
    const m = this.marks;
    // Stages done before the endpoint took no time after it: the latency record shows what the caller waited for.
    for (const k of ['sttFinal', 'llmFirstToken', 'firstSentence', 'ttsFirstAudio'] as const) if (m[k] !== undefined && m[k] < m.endpoint!) m[k] = m.endpoint;
    this.transcript.add('user', this.text!, this.startMs, this.pauseAt, false);
    this.open(true);
  }
}
