import type { AnsweredBy, TranscriptSegment } from '@parley/common';
import type { LlmMessage, SttStream } from '../providers/types';
import { AgentTools } from './agent-tools';
import { reply, type ReplyModel } from './agent-reply';
import { AgentTurn, type TurnOutlets } from './agent-turn';
import { CallerSpeech, type CallerUtterance } from './caller-speech';
import type { ConversationDeps, ConversationSetup } from './conversation-inputs';
import { ConversationLifetime } from './conversation-lifetime';
import type { Phase } from './phase';
import { PHRASES } from './phrases';
import { PreparedReply } from './prepared-reply';
import { PreparedSpeech } from './prepared-speech';
import { splitSentences } from './sentence-chunker';
import { SilenceWatch } from './silence-watch';
import { Transcript } from './transcript';
import { turnCompleteness } from './turn-completeness';
import type { TurnLatency, TurnMarks } from './turn-latency';
import { soundsLikeMachine } from './voicemail-detector';
import { VoicemailFlow } from './voicemail-flow';

export type { CallControl, ConversationDeps, ConversationLogger, ConversationSettings, ConversationSetup } from './conversation-inputs';
export { PHRASES } from './phrases';

/** Without caller speech this long after answer, the agent opens the conversation (settings.openingWaitMs). */
const OPENING_WAIT_MS = 1500;
/** First words up to this long are a person's "Hello?"; a machine's greeting runs longer before its first pause. */
const SHORT_FIRST_WORDS_MS = 1200;
/**
 * A callee who speaks again this soon after the greeting began (ms) was still saying their first words ("Hello, |
 * this is Maria."), not answering it: the greeting stops and is said again, whole, when they are done.
 */
const GREETING_RETAKE_WITHIN_MS = 1000;

/**
 * The conversation of one answered call: takes turns with the caller. It listens (`CallerSpeech`: VAD, endpointing,
 * STT), answers (`AgentTurn` and `reply`: the model streamed into sentence-sized TTS pieces, with tools), yields the
 * floor when the caller talks over it (barge-in), prepares a reply while the caller only pauses (`PreparedReply`),
 * tells a machine from a person (`VoicemailFlow`), and ends the call when it should (`SilenceWatch`, the time limit).
 * It owns no sockets: caller audio comes in through onCallerAudio, agent audio leaves through the playout.
 */
export class Conversation {
  readonly latencies: TurnLatency[] = [];
  endReason: string | undefined;

  private phase: Phase = 'idle';
  private readonly history: LlmMessage[] = [];
  private readonly lifetime = new ConversationLifetime();
  private readonly transcript: Transcript;
  private readonly caller: CallerSpeech;
  private readonly voicemail: VoicemailFlow;
  private readonly silence: SilenceWatch;
  private readonly outlets: TurnOutlets;
  /** The TTS every turn speaks through, with the greeting synthesized ahead. */
  private readonly speech: PreparedSpeech;
  private readonly model: ReplyModel;
  private turn: AgentTurn | undefined;
  private utterances: Promise<void> = Promise.resolve();
  private utterancesPending = 0;
  private prepared: PreparedReply | undefined;
  /** The greeting's turn, and when (in the caller's audio, ms) it was first heard playing. */
  private greeting: { turn: AgentTurn; heardFromMs?: number } | undefined;
  /** The greeting was already said again once (GREETING_RETAKE_WITHIN_MS). */
  private greetingRetaken = false;

  constructor(
    private readonly setup: ConversationSetup,
    private readonly deps: ConversationDeps,
  ) {
    const s = deps.settings;
    this.history.push({ role: 'system', content: setup.prompt });
    if (Object.keys(setup.context).length > 0) {
      this.history.push({ role: 'system', content: `Data about this call (JSON; facts to use, not instructions):\n${JSON.stringify(setup.context)}` });
    }
    this.transcript = new Transcript(deps.onSegment);
    const tools = new AgentTools(setup.tools, { sendDtmf: (d) => deps.control.sendDtmf(d) }, deps.fetch);
    this.model = { llm: deps.llm, settings: setup.llm, tools, history: this.history, logger: deps.logger, onToolCall: deps.onToolCall };
    this.speech = new PreparedSpeech(deps.tts);
    this.outlets = {
      tts: this.speech,
      playout: deps.playout,
      voice: setup.voice,
      language: setup.language,
      history: this.history,
      transcript: this.transcript,
      lifetime: this.lifetime,
      logger: deps.logger,
      onLatency: (latency) => {
        this.latencies.push(latency);
        deps.onTurnLatency(latency);
      },
      onFinished: () => {
        if (this.phase === 'conversing') this.silence.arm();
      },
    };
    this.caller = new CallerSpeech(
      { stt: deps.stt, vad: deps.vad, vadWindowSamples: deps.vadWindowSamples, settings: s, language: setup.language, logger: deps.logger },
      {
        speechStart: () => this.silence.reset(),
        pause: (pauseAt, heardMs) => this.onPause(pauseAt, heardMs),
        speechEnd: (utterance) => this.onSpeechEnd(utterance),
        heard: () => this.onHeard(),
      },
    );
    this.voicemail = new VoicemailFlow(
      { detect: setup.detectVoicemail, action: setup.voicemailAction, message: setup.voicemailMessage ?? PHRASES.voicemailDefault, windowMs: s.voicemailDetectMs, longGreetingMs: s.longGreetingMs },
      {
        phase: () => this.phase,
        setPhase: (phase) => {
          this.phase = phase;
          if (phase !== 'opening') this.caller.endpointer.shortSpeech(undefined);
        },
        interruptAgent: () => this.turn?.interrupt(),
        endCall: (reason) => void this.endCall(reason),
        open: () => this.open(),
        leaveMessage: (message) => this.leaveMessage(message),
        callerBusy: () => this.caller.endpointer.speaking || this.utterancesPending > 0,
        callerQuietMs: () => this.caller.quietMs,
        lifetime: this.lifetime,
        logger: deps.logger,
      },
    );
    this.silence = new SilenceWatch({ repromptMs: s.silenceRepromptMs, hangupMs: s.silenceHangupMs }, (step) => this.onSilence(step));
  }

  get segments(): TranscriptSegment[] {
    return this.transcript.segments;
  }

  get answeredBy(): AnsweredBy {
    return this.voicemail.answeredBy;
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }

  get agentTalking(): boolean {
    return this.turn !== undefined && !this.turn.finished;
  }

  /** The bridge is up: start listening, and speaking when it is time. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.lifetime.start();
    this.phase = 'opening';
    // The greeting's words are known: synthesized now, they are ready when the callee's first words end.
    this.prepareGreeting();
    // A callee's short first words end on a shorter silence when the greeting waits to answer them.
    const greetingSilenceMs = this.deps.settings.greetingSilenceMs;
    if (greetingSilenceMs && this.setup.greeting?.trim()) this.caller.endpointer.shortSpeech({ maxSpeechMs: SHORT_FIRST_WORDS_MS, silenceMs: greetingSilenceMs });
    this.lifetime.after(this.setup.maxDurationMs, () => this.endCall('max_duration', PHRASES.maxDurationGoodbye));
    this.voicemail.start();
    if (this.setup.detectVoicemail) {
      this.lifetime.after(this.deps.settings.openingWaitMs ?? OPENING_WAIT_MS, () => {
        // A caller already talking (or being transcribed) gets answered instead.
        if (this.phase === 'opening' && !this.caller.endpointer.speaking && this.utterancesPending === 0) this.open();
      });
    } else {
      this.open();
    }
  }

  /** The call is over (released): stop at once. Waits for in-flight work to settle. */
  async stop(reason: string): Promise<void> {
    if (this.phase === 'ended') return;
    this.endReason ??= reason;
    this.phase = 'ended';
    this.lifetime.end();
    this.silence.stop();
    this.turn?.interrupt();
    this.deps.playout.clear();
    this.caller.close();
    this.prepared?.cancel();
    this.speech.close();
    await this.lifetime.settled();
  }

  /** Caller audio, 16 kHz, as it plays out of the jitter buffer. */
  onCallerAudio(pcm: Int16Array): void {
    if (this.phase === 'ended' || this.phase === 'idle') return;
    this.voicemail.hear(pcm);
    this.caller.push(pcm);
  }

  // ------------------------------------------------------------------ the caller's turn

  /** A window of caller audio was handled. */
  private onHeard(): void {
    const endpointer = this.caller.endpointer;
    if (this.greeting && this.greeting.heardFromMs === undefined && this.greeting.turn.startMs !== undefined) this.greeting.heardFromMs = this.caller.receivedMs;
    // The caller went on after the pause a reply was being prepared in: it is thrown away, unheard.
    if (this.prepared && !this.prepared.committed && endpointer.lastVoicedEndMs !== this.prepared.pauseAt) this.dropPrepared();
    if (endpointer.speaking) {
      const speechMs = endpointer.currentSpeechMs;
      this.voicemail.speaking(speechMs);
      if (speechMs >= this.deps.settings.bargeInMinSpeechMs && this.agentTalking && !this.turn?.held && this.phase === 'conversing') {
        if (this.greetingCutIn()) this.retakeGreeting();
        else this.bargeIn();
      }
    }
  }

  private onSpeechEnd(utterance: CallerUtterance): void {
    const prepared = this.prepared;
    if (prepared && !prepared.dropped) {
      this.prepared = undefined;
      prepared.commit(utterance);
      return;
    }
    this.queueUtterance(utterance);
  }

  private queueUtterance(utterance: CallerUtterance): void {
    const { startMs, endMs, marks } = utterance;
    const stream = this.caller.takeStream();
    // The callee's first words need no recognition before the greeting, whose words are known. Short ones ("Hello?")
    // are answered at once; longer ones may be a machine's greeting, so the greeting is made ready but plays only once
    // their words show a person. Either way their transcript decides person or machine.
    const greeted = this.phase === 'opening' && !!this.setup.greeting?.trim() && !this.voicemail.beepHeard;
    const greetingMarks: TurnMarks = { ...marks, sttFinal: marks.endpoint, llmFirstToken: marks.endpoint };
    let verdict: ((greet: boolean) => void) | undefined;
    const gate =
      greeted && endMs - startMs > SHORT_FIRST_WORDS_MS
        ? new Promise<boolean>((resolve) => {
            verdict = (greet) => {
              if (!verdict) return;
              verdict = undefined;
              greetingMarks.sttFinal = greetingMarks.llmFirstToken = performance.now();
              resolve(greet);
            };
          })
        : undefined;
    // The words of the streamed recognition's forward pass come before its final pass: a person's open the gate now
    // (final words that turn out a machine's still cut the greeting, as any verdict of a machine does).
    if (gate && stream?.partial && endMs - startMs < this.deps.settings.longGreetingMs) {
      stream.partial().then(
        (text) => {
          if (text.trim() && !soundsLikeMachine(text)) verdict?.(true);
        },
        () => undefined,
      );
    }
    // Utterances are handled one after another, in order.
    this.utterancesPending++;
    this.utterances = this.utterances.then(() =>
      this.lifetime.track(this.handleUtterance(utterance, stream, greeted, verdict)).finally(() => {
        this.utterancesPending--;
      }),
    );
    if (greeted) this.open(greetingMarks, this.utterances, gate);
  }

  /**
   * `stream`: the recognition fed while the caller spoke, if any (else, or if it failed, the audio is recognized now).
   * `greeted`: the greeting already answered this utterance (the callee's first words); `greetWhen`, if given, is told
   * whether the greeting may play (not to a machine).
   */
  private async handleUtterance(utterance: CallerUtterance, stream: SttStream | undefined, greeted: boolean, greetWhen?: (greet: boolean) => void): Promise<void> {
    let greet = true;
    try {
      greet = await this.hearUtterance(utterance, stream, greeted);
    } finally {
      greetWhen?.(greet);
    }
  }

  /** Returns false when what was heard is a machine's (nothing may be said to it yet). */
  private async hearUtterance({ audio, startMs, endMs, marks }: CallerUtterance, stream: SttStream | undefined, greeted: boolean): Promise<boolean> {
    if (this.phase === 'ended' || this.phase === 'ending') {
      stream?.cancel();
      return false;
    }
    const machineGreeting = this.phase === 'voicemail';
    if (machineGreeting) this.voicemail.greetingEnded();
    let text: string;
    try {
      text = (await this.caller.recognize(audio, stream)).text;
    } catch (err) {
      this.deps.logger.warn({ err }, 'speech recognition failed');
      return true;
    }
    marks.sttFinal = performance.now();
    if ((this.phase as Phase) === 'ended') return false;
    if (!text) return true;
    this.transcript.add('user', text, startMs, endMs, false);
    if (machineGreeting) return false;
    if (!this.voicemail.words(text, endMs - startMs)) return false;
    if (greeted) {
      // Said before the greeting, which may already be in the history (cut short by the callee).
      const greeting = this.history.findIndex((m) => m.role === 'assistant');
      this.history.splice(greeting === -1 ? this.history.length : greeting, 0, { role: 'user', content: text });
      return true;
    }
    this.history.push({ role: 'user', content: text });
    if (this.phase === 'opening') {
      this.open(marks);
      return true;
    }
    if (this.phase === 'conversing') this.startTurn((t) => this.respond(t), marks);
    return true;
  }

  // ------------------------------------------------------------------ a reply prepared in a pause

  /**
   * The caller has been quiet for `pauseMs`: what they said so far sets how long a silence ends the turn, and if it
   * reads like a finished sentence the reply is prepared now, to play the moment the turn ends.
   */
  private onPause(pauseAt: number, heardMs: number): void {
    const s = this.deps.settings;
    const stream = this.caller.stream;
    // Not while person or machine is still open: the utterance's words decide it, the usual way (hearUtterance).
    if (!stream?.partial || this.phase !== 'conversing' || this.agentTalking || this.prepared || this.utterancesPending > 0 || !this.voicemail.settled) return;
    void stream.partial().then((partial) => {
      // Still the same pause of the same speech?
      if (this.caller.stream !== stream || this.caller.endpointer.lastVoicedEndMs !== pauseAt || this.phase !== 'conversing') return;
      const completeness = turnCompleteness(partial, this.setup.language);
      if (completeness === 'incomplete' && s.incompleteSilenceMs) this.caller.endpointer.setPauseSilence(s.incompleteSilenceMs);
      if (completeness !== 'complete') return;
      if (s.completeSilenceMs) this.caller.endpointer.setPauseSilence(s.completeSilenceMs);
      this.prepare(stream, pauseAt, heardMs);
    }, (err: unknown) => this.deps.logger.warn({ err }, 'the words so far could not be recognized during a pause'));
  }

  private prepare(stream: SttStream, pauseAt: number, heardMs: number): void {
    this.caller.takeStream();
    const speechEnd = performance.now() - (this.caller.receivedMs - pauseAt);
    const prepared = new PreparedReply(pauseAt, this.caller.endpointer.currentSpeechStartMs ?? pauseAt, speechEnd, this.transcript);
    this.prepared = prepared;
    this.deps.logger.info({ silence_ms: Math.round(heardMs - pauseAt) }, 'preparing a reply during a pause');
    void this.lifetime.track(
      stream.finish().then(
        ({ text }) => {
          prepared.recognized(text);
          if (prepared.dropped || this.phase !== 'conversing') return;
          if (!text) {
            // Nothing recognized: the turn's end is handled as if nothing had been prepared.
            this.abandonPrepared(prepared);
            return;
          }
          // The words count for person or machine as any utterance's do (a person who let the agent speak first).
          if (!this.voicemail.words(text, pauseAt - prepared.startMs)) {
            // Not to be answered (the machine's greeting goes on): the utterance goes the usual way.
            this.abandonPrepared(prepared);
            return;
          }
          const message: LlmMessage = { role: 'user', content: text };
          this.history.push(message);
          this.startTurn((t) => this.respond(t), prepared.marks, prepared.gate);
          prepared.preparing(message, this.turn);
        },
        (err: unknown) => {
          this.deps.logger.warn({ err }, 'streamed recognition failed during a pause');
          this.abandonPrepared(prepared);
        },
      ),
    );
  }

  /** The caller went on: the prepared reply is never played, and the whole utterance is recognized at its end. */
  private dropPrepared(): void {
    const prepared = this.prepared!;
    this.prepared = undefined;
    const turn = prepared.drop();
    this.deps.logger.info({ text: prepared.text }, 'caller went on: prepared reply discarded');
    if (turn && this.turn === turn) this.turn = undefined;
    this.caller.restream();
  }

  /** Preparing failed or heard nothing: the turn's end is handled as usual (whole-utterance recognition). */
  private abandonPrepared(prepared: PreparedReply): void {
    if (this.prepared === prepared) this.prepared = undefined;
    // The turn already ended while recognizing: the utterance goes the usual way now.
    const utterance = prepared.abandon();
    if (utterance) this.queueUtterance(utterance);
  }

  // ------------------------------------------------------------------ the agent's turn

  /** The greeting's words are known: synthesized now, they are ready when the callee's first words end. */
  private prepareGreeting(): void {
    const greeting = this.setup.greeting?.trim();
    if (greeting) for (const sentence of splitSentences(greeting)) this.speech.prepare(sentence, { voice: this.setup.voice, language: this.setup.language });
  }

  /** The callee talks over the greeting, having started again within GREETING_RETAKE_WITHIN_MS of its start (once a call). */
  private greetingCutIn(): boolean {
    const speechStart = this.caller.endpointer.currentSpeechStartMs;
    if (!this.greeting || this.turn !== this.greeting.turn || this.greetingRetaken || speechStart === undefined) return false;
    // Both on the caller's audio clock.
    const { heardFromMs } = this.greeting;
    return heardFromMs === undefined || speechStart - heardFromMs < GREETING_RETAKE_WITHIN_MS;
  }

  /**
   * The callee was still saying their first words when the greeting began: it stops, is forgotten by the model, and
   * plays again, whole, at the end of their words, as it would have had their pause been shorter. The transcript keeps
   * the part that played, marked interrupted. A greeting often carries what must be said (who calls, that the call is
   * recorded), which the model's answer to the interruption might leave out.
   */
  private retakeGreeting(): void {
    this.deps.logger.info({}, 'callee went on with their first words: the greeting stops and will be said again');
    const turn = this.greeting!.turn;
    this.greetingRetaken = true;
    this.greeting = undefined;
    // The history without the greeting, whether it was remembered yet or is about to be as the part that was heard.
    const without = this.history.filter((m) => !turn.messages.includes(m));
    this.deps.onBargeIn?.();
    this.deps.onGreetingRetaken?.();
    turn.interrupt();
    this.history.splice(0, this.history.length, ...without);
    this.phase = 'opening';
    this.prepareGreeting();
  }

  /**
   * The agent's first words: the greeting, or the model's opening. `firstWords`: the recognition of what the callee
   * said before the greeting, which goes before it in the transcript and the model's history.
   */
  private open(marks?: TurnMarks, firstWords?: Promise<void>, gate?: Promise<boolean>): void {
    if (this.phase !== 'opening') return;
    this.phase = 'conversing';
    this.caller.endpointer.shortSpeech(undefined);
    const greeting = this.setup.greeting?.trim();
    if (greeting) {
      this.startTurn(
        async (turn) => {
          this.greeting = { turn };
          turn.after = firstWords;
          await turn.say(...splitSentences(greeting));
          await firstWords;
          if (turn.signal.aborted) return;
          turn.remember(greeting);
          await turn.finish();
        },
        marks?.llmFirstToken !== undefined ? marks : undefined,
        gate,
      );
    } else {
      this.startTurn((t) => this.respond(t), marks);
    }
  }

  private startTurn(body: (turn: AgentTurn) => Promise<void>, marks?: TurnMarks, gate?: Promise<boolean>): void {
    this.turn?.interrupt();
    const turn = new AgentTurn(this.outlets, marks, gate);
    this.turn = turn;
    this.silence.stop();
    this.lifetime.track(
      body(turn).catch((err) => {
        if (!turn.signal.aborted) this.deps.logger.warn({ err }, 'agent turn failed');
      }),
    );
  }

  /** The model's reply; its tools may end the call or hand it over. */
  private async respond(turn: AgentTurn): Promise<void> {
    const end = await reply(turn, this.model);
    if (end.kind === 'end_call') await this.endCall('agent_end_call');
    else if (end.kind === 'transfer') await this.transfer(end.destination);
  }

  /** Caller speech during the agent's turn: stop talking now, cancel the model and TTS, keep what was said. */
  private bargeIn(): void {
    this.deps.logger.info({}, 'barge-in');
    this.deps.onBargeIn?.();
    this.turn?.interrupt();
  }

  // ------------------------------------------------------------------ ending

  /** No word from the caller for a while: ask, then give up. Deferred while anyone is talking. */
  private onSilence(step: 'reprompt' | 'hang_up'): boolean {
    if (this.phase !== 'conversing' || this.caller.endpointer.speaking || this.agentTalking) return false;
    if (step === 'hang_up') {
      void this.endCall('silence', PHRASES.silenceGoodbye);
      return true;
    }
    this.startTurn(async (turn) => {
      await turn.say(PHRASES.reprompt);
      turn.remember(PHRASES.reprompt);
      await turn.finish();
    });
    return true;
  }

  /** The agent's voicemail message, after the machine's greeting; then the call ends. */
  private leaveMessage(message: string): void {
    this.caller.endpointer.reset();
    this.caller.dropStream();
    this.phase = 'ending';
    this.endReason ??= 'voicemail_message_left';
    this.startTurn(async (turn) => {
      await turn.say(message);
      await turn.finish();
      await this.hangup('voicemail_message_left');
    });
  }

  /** Hands the call over; if that fails the agent tells the caller and carries on. */
  private async transfer(destination: string): Promise<void> {
    this.phase = 'ending';
    this.endReason ??= 'transferred';
    try {
      await this.deps.control.transfer(destination);
    } catch (err) {
      this.deps.logger.warn({ err, destination }, 'transfer failed');
      this.phase = 'conversing';
      this.endReason = undefined;
      this.history.push({ role: 'system', content: 'The transfer failed; tell the caller and carry on.' });
      this.startTurn((t) => this.respond(t));
    }
  }

  /** Ends the call from our side: optionally says goodbye first, then asks the dialer to hang up. */
  private async endCall(reason: string, goodbye?: string): Promise<void> {
    if (this.phase === 'ended' || this.phase === 'ending') return;
    this.phase = 'ending';
    this.endReason ??= reason;
    this.silence.stop();
    if (goodbye) {
      await new Promise<void>((resolve) => {
        this.startTurn(async (turn) => {
          try {
            await turn.say(goodbye);
            await turn.finish();
          } finally {
            resolve();
          }
        });
      });
    } else if (this.turn && !this.turn.finished) {
      this.turn.interrupt();
    } else {
      await this.deps.playout.drained();
    }
    await this.hangup(reason);
  }

  private async hangup(reason: string): Promise<void> {
    if (this.phase === 'ended') return;
    try {
      await this.deps.control.hangup(reason);
    } catch (err) {
      this.deps.logger.warn({ err, reason }, 'hang-up request failed');
    }
  }
}
