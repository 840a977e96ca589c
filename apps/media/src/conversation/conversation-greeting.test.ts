import { describe, expect, it } from 'vitest';
import type { TranscriptSegment } from '@parley/common';
import type { Stt, SttResult, SttStream } from '../providers/types';
import type { Conversation } from './conversation';
import type { Playout } from './playout';
import type { TurnLatency } from './turn-latency';
import { playCaller, quiet, ScriptedLlm, speech, testConversation, testSettings, ToneTts, words } from './testing-fakes';

/** Recognition that answers only when the test says so, to show what does and does not wait for it. */
class HeldStt implements Stt {
  readonly name = 'held';
  private readonly pending: Array<(r: SttResult) => void> = [];
  transcribe(): Promise<SttResult> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  get waiting(): number {
    return this.pending.length;
  }
  answer(text: string): void {
    this.pending.shift()!({ text });
  }
}

/** Streams: its partial (the forward pass) answers at once with `partialText`; its final words wait for the test. */
class HeldStreamingStt extends HeldStt {
  constructor(private readonly partialText: string) {
    super();
  }
  stream(): SttStream {
    const final = this.transcribe();
    return { write: () => undefined, partial: async () => this.partialText, finish: () => final, cancel: () => undefined };
  }
}

async function run(conversation: Conversation, playout: Playout, caller: Int16Array, played: Int16Array[]) {
  played.push(...(await playCaller(conversation, playout, caller, 10)));
}

function open(stt: Stt, llm: ScriptedLlm, tts: ToneTts, segments: TranscriptSegment[], latencies: TurnLatency[] = []) {
  const c = testConversation({ greeting: 'Hi, this is Parley calling about your appointment.', detectVoicemail: true }, { stt, llm, tts, onSegment: (s) => segments.push(s), onTurnLatency: (l) => latencies.push(l) });
  return { conversation: c.conversation, playout: c.playout };
}

describe('the outbound greeting', () => {
  it('waits the opening wait for a callee who says nothing, then speaks first', async () => {
    const opening = (openingWaitMs: number) =>
      testConversation({ greeting: 'Hi, this is Parley.', detectVoicemail: true }, { stt: new HeldStt(), llm: new ScriptedLlm([() => words('unused')], 1), tts: new ToneTts(), settings: { ...testSettings, openingWaitMs } });
    const short = opening(400);
    const long = opening(60_000);
    const [shortPlayed, longPlayed]: Int16Array[][] = [[], []];
    short.conversation.start();
    long.conversation.start();
    // The short wait ends and its greeting plays...
    for (let i = 0; i < 500 && shortPlayed.length === 0; i++) {
      await run(short.conversation, short.playout, quiet(20), shortPlayed);
      await run(long.conversation, long.playout, quiet(20), longPlayed);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(shortPlayed.length).toBeGreaterThan(0);
    // ...while the callee on the minute-long wait still hears nothing.
    await run(long.conversation, long.playout, quiet(300), longPlayed);
    expect(longPlayed).toHaveLength(0);
    await short.conversation.stop('test');
    await long.conversation.stop('test');
  });

  it("starts on the callee's first end of speech, without waiting for its transcript, which then goes before it", async () => {
    const stt = new HeldStt();
    const llm = new ScriptedLlm([() => words('Great, see you then.')], 1);
    const tts = new ToneTts();
    const segments: TranscriptSegment[] = [];
    const latencies: TurnLatency[] = [];
    const { conversation, playout } = open(stt, llm, tts, segments, latencies);
    conversation.start();
    const played: Int16Array[] = [];
    await run(conversation, playout, quiet(200), played);
    await run(conversation, playout, speech(500), played);
    // The greeting is synthesized ahead, while the callee speaks; it has not started.
    expect(tts.spoken).toEqual(['Hi, this is Parley calling about your appointment.']);
    expect(conversation.agentTalking).toBe(false);
    // The endpointing silence passes; recognition of "Hello?" has not answered.
    await run(conversation, playout, quiet(500), played);
    expect(stt.waiting).toBe(1);
    expect(conversation.agentTalking).toBe(true);
    // What plays is what was synthesized ahead: the engine was not asked again.
    expect(tts.spoken).toEqual(['Hi, this is Parley calling about your appointment.']);
    // The greeting's latency counts no recognition and no model.
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toMatchObject({ sttMs: 0, llmFirstTokenMs: 0 });
    // Recognition slower than the whole greeting: the greeting has played, but its segment waits for the words before it.
    await run(conversation, playout, quiet(1500), played);
    expect(playout.playing).toBe(false);
    expect(segments).toEqual([]);
    stt.answer('hello');
    await run(conversation, playout, quiet(200), played);
    expect(conversation.answeredBy).toBe('human');
    expect(segments.map((s) => [s.role, s.text])).toEqual([
      ['user', 'hello'],
      ['agent', 'Hi, this is Parley calling about your appointment.'],
    ]);
    // The callee's next words get the model, which sees the conversation in the order it happened.
    await run(conversation, playout, speech(500), played);
    await run(conversation, playout, quiet(500), played);
    stt.answer('yes that works');
    await run(conversation, playout, quiet(300), played);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]!.messages.slice(1)).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi, this is Parley calling about your appointment.' },
      { role: 'user', content: 'yes that works' },
    ]);
    await conversation.stop('test');
  });

  it('answers a short "Hello?" on the shorter greeting silence, and longer first words on the usual one', async () => {
    const settings = { ...testSettings, endpointingSilenceMs: 600, greetingSilenceMs: 200 };
    for (const [firstWordsMs, startsAfterMs] of [
      [500, 200],
      [1600, 600],
    ] as const) {
      const stt = new HeldStt();
      const tts = new ToneTts();
      const c = testConversation({ greeting: 'Hi, this is Parley.', detectVoicemail: true }, { stt, llm: new ScriptedLlm([() => words('unused')], 1), tts, settings });
      c.conversation.start();
      const played: Int16Array[] = [];
      await run(c.conversation, c.playout, speech(firstWordsMs), played);
      // Just short of the silence that ends these first words: nothing yet.
      await run(c.conversation, c.playout, quiet(startsAfterMs - 60), played);
      expect(c.conversation.agentTalking).toBe(false);
      await run(c.conversation, c.playout, quiet(100), played);
      // The turn has ended: the greeting's turn is on (longer first words hold it until their transcript shows a person).
      expect(c.conversation.agentTalking, `after ${firstWordsMs} ms of first words`).toBe(true);
      stt.answer('hello there');
      await c.conversation.stop('test');
    }
  });

  it("is cut off when the first words' transcript shows a machine", async () => {
    const stt = new HeldStt();
    const tts = new ToneTts();
    const segments: TranscriptSegment[] = [];
    const { conversation, playout } = open(stt, new ScriptedLlm([() => words('unused')], 1), tts, segments);
    conversation.start();
    const played: Int16Array[] = [];
    await run(conversation, playout, speech(600), played);
    await run(conversation, playout, quiet(400), played);
    expect(conversation.agentTalking).toBe(true);
    stt.answer('please leave a message');
    await run(conversation, playout, quiet(100), played);
    expect(conversation.answeredBy).toBe('machine');
    expect(conversation.agentTalking).toBe(false);
    expect(playout.playing).toBe(false);
    await conversation.stop('test');
  });

  it('says the greeting again, whole, when the callee was still saying their first words ("Hello, | this is Maria.")', async () => {
    const stt = new HeldStt();
    const llm = new ScriptedLlm([() => words('Of course.')], 1);
    const tts = new ToneTts();
    const segments: TranscriptSegment[] = [];
    const { conversation, playout } = open(stt, llm, tts, segments);
    conversation.start();
    const played: Int16Array[] = [];
    await run(conversation, playout, speech(500), played);
    await run(conversation, playout, quiet(400), played);
    expect(conversation.agentTalking).toBe(true);
    // The callee goes on at once, over the greeting's first words: it stops; "Hello," is still being recognized.
    await run(conversation, playout, speech(500), played);
    expect(conversation.agentTalking).toBe(false);
    stt.answer('hello');
    // Their words end: the greeting plays again from its start, without waiting for their transcript or the model.
    const before = played.length;
    await run(conversation, playout, quiet(400), played);
    expect(conversation.agentTalking).toBe(true);
    expect(played.length).toBeGreaterThan(before);
    expect(tts.spoken).toEqual(['Hi, this is Parley calling about your appointment.', 'Hi, this is Parley calling about your appointment.']);
    stt.answer('this is maria');
    await run(conversation, playout, quiet(1200), played);
    expect(llm.requests).toHaveLength(0);
    expect(segments.map((s) => [s.role, s.text, s.interrupted])).toEqual([
      ['user', 'hello', false],
      ['agent', expect.any(String), true],
      ['user', 'this is maria', false],
      ['agent', 'Hi, this is Parley calling about your appointment.', false],
    ]);
    // The model never saw the cut greeting: the callee's words, then the greeting they heard whole.
    await run(conversation, playout, speech(500), played);
    await run(conversation, playout, quiet(400), played);
    stt.answer('who is this');
    await run(conversation, playout, quiet(200), played);
    expect(llm.requests[0]!.messages.slice(1)).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'user', content: 'this is maria' },
      { role: 'assistant', content: 'Hi, this is Parley calling about your appointment.' },
      { role: 'user', content: 'who is this' },
    ]);
    await conversation.stop('test');
  });

  it('is cut for good (the model answers) when the callee talks over it once it has been playing a while, keeping the order the words were said in', async () => {
    const stt = new HeldStt();
    const llm = new ScriptedLlm([() => words('Of course.')], 1);
    const tts = new ToneTts();
    const segments: TranscriptSegment[] = [];
    const greeting = 'Hi, this is Parley calling from the dental practice on Main Street about the appointment you booked with us for next week.';
    const c = testConversation({ greeting, detectVoicemail: true }, { stt, llm, tts, onSegment: (s) => segments.push(s) });
    const { conversation, playout } = c;
    conversation.start();
    const played: Int16Array[] = [];
    await run(conversation, playout, speech(500), played);
    await run(conversation, playout, quiet(400), played);
    expect(conversation.agentTalking).toBe(true);
    // 1.2 s into the greeting (and before "Hello?" is recognized) the callee talks over it.
    await run(conversation, playout, quiet(1200), played);
    await run(conversation, playout, speech(500), played);
    expect(conversation.agentTalking).toBe(false);
    expect(segments).toEqual([]);
    stt.answer('hello');
    await run(conversation, playout, quiet(500), played);
    stt.answer('who is this');
    await run(conversation, playout, quiet(200), played);
    expect(tts.spoken.filter((t) => t === greeting)).toHaveLength(1);
    expect(segments.map((s) => [s.role, s.interrupted])).toEqual([
      ['user', false],
      ['agent', true],
      ['user', false],
    ]);
    expect(llm.requests[0]!.messages.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    await conversation.stop('test');
  });

  it('holds the greeting after longer first words until their transcript shows a person, and never plays it to a machine', async () => {
    for (const [heard, plays] of [['you have reached maria please leave a message', false], ['hello this is john speaking', true]] as const) {
      const stt = new HeldStt();
      const tts = new ToneTts();
      const segments: TranscriptSegment[] = [];
      const { conversation, playout } = open(stt, new ScriptedLlm([() => words('unused')], 1), tts, segments);
      conversation.start();
      const played: Int16Array[] = [];
      await run(conversation, playout, speech(1500), played);
      await run(conversation, playout, quiet(400), played);
      // Ready to play, but not playing: these may be a machine's words.
      expect(stt.waiting).toBe(1);
      expect(tts.spoken).toEqual(['Hi, this is Parley calling about your appointment.']);
      expect(playout.playing).toBe(false);
      const before = played.length;
      stt.answer(heard);
      await run(conversation, playout, quiet(300), played);
      expect(conversation.answeredBy).toBe(plays ? 'human' : 'machine');
      expect(played.length > before).toBe(plays);
      expect(segments.filter((s) => s.role === 'agent')).toEqual([]);
      await conversation.stop('test');
    }
  });

  it("plays after longer first words once their forward pass shows a person's, before their final words", async () => {
    for (const [partial, final, plays] of [
      ['hello this is john speaking', 'hello this is john speaking', true],
      ['you have reached maria', 'you have reached maria please leave a message', false],
    ] as const) {
      const stt = new HeldStreamingStt(partial);
      const tts = new ToneTts();
      const { conversation, playout } = open(stt, new ScriptedLlm([() => words('unused')], 1), tts, []);
      conversation.start();
      const played: Int16Array[] = [];
      await run(conversation, playout, speech(1500), played);
      const before = played.length;
      await run(conversation, playout, quiet(400), played);
      // The final words are still to come: the greeting plays (or not) on the forward pass's.
      expect(stt.waiting).toBe(1);
      expect(played.length > before, partial).toBe(plays);
      stt.answer(final);
      await run(conversation, playout, quiet(200), played);
      expect(conversation.answeredBy).toBe(plays ? 'human' : 'machine');
      expect(playout.playing).toBe(plays);
      await conversation.stop('test');
    }
  });

  it('takes a callee who stays silent through the detection window and then talks for a person', async () => {
    const stt = new HeldStt();
    const { conversation, playout } = open(stt, new ScriptedLlm([() => words('Great.')], 1), new ToneTts(), []);
    conversation.start();
    const played: Int16Array[] = [];
    // testSettings' window is 3 s of wall time (audio plays here at twice real time): nothing is said in it.
    await run(conversation, playout, quiet(6600), played);
    expect(conversation.answeredBy).toBe('unknown');
    await run(conversation, playout, speech(500), played);
    await run(conversation, playout, quiet(400), played);
    stt.answer('yes this is maria');
    await run(conversation, playout, quiet(100), played);
    expect(conversation.answeredBy).toBe('human');
    await conversation.stop('test');
  });
});
