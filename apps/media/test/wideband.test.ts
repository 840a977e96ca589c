import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });
import { wordErrorRate } from '@parley/audio';
import { MediaHarness } from './harness';

// Issue 8: the same caller lines, recognized by pocketsphinx over a G.722 (16 kHz) leg and over a
// G.711 ulaw (8 kHz telephone band) leg. The lines are flite recordings (its 16 kHz voices are
// the synthetic speech pocketsphinx recognizes best; espeak-ng's is hard for it at any rate). One
// easy line alone is recognized over both legs; the others carry the fricatives and unstressed
// syllables (f, s, th above 4 kHz) that the telephone band loses.
const LINES = [
  'I would like to book an appointment for next Tuesday afternoon.',
  'Please send the invoice to my office on Fifth Street.',
  'My daughter has a fever and needs to see a doctor.',
];

let dir: string;
let wavs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-wer-'));
  wavs = LINES.map((line, i) => {
    const wav = join(dir, `line-${i}.wav`);
    execFileSync('flite', ['-voice', 'rms', '-t', line, '-o', wav]);
    return wav;
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// With streaming on (the default) and off: streamed, a call's first utterance starts from the mean of its own first
// second of audio (from the model's initial mean, one of these G.722 lines once came out at WER 0.8 in CI); the streamed
// path of later utterances is covered in providers/stt/pocketsphinx.test.ts.
describe.each(['true', 'false'])('wideband vs narrowband recognition (POCKETSPHINX_STREAMING=%s)', (streaming) => {
  let h: MediaHarness;
  beforeAll(async () => {
    h = await MediaHarness.start({ script: { rules: [], fallback: { text: 'Thank you.' } }, env: { POCKETSPHINX_STREAMING: streaming } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('transcribes the callers close to what was said over g722, and never worse than over ulaw', async () => {
    const agent = { prompt: 'You listen. [wer]', voicemailAction: 'continue' as const };
    const heard = async (callId: string) => {
      const e = await h.waitForSegment(callId, (s) => s.role === 'user');
      await h.release(callId, 'test_done');
      return e.type === 'transcript' ? e.data.segment.text : '';
    };
    const leg = (codec: 'g722' | 'ulaw', base: number) =>
      Promise.all(
        wavs.map(async (wav, i) => {
          const call = await h.placeCall({ number: `+1555040${base + i}`, codec, scenario: { answer_after_ms: 200, speak_first: true, codec, lines: [{ wav }] }, agent });
          const text = await heard(call.callId);
          return { text, wer: Number(wordErrorRate(LINES[i]!, text).toFixed(3)) };
        }),
      );
    const [g722, ulaw] = await Promise.all([leg('g722', 1000), leg('ulaw', 2000)]);
    const mean = (r: Array<{ wer: number }>) => r.reduce((sum, x) => sum + x.wer, 0) / r.length;
    console.log(JSON.stringify({ streaming, spoken: LINES, g722, ulaw, mean: { g722: mean(g722), ulaw: mean(ulaw) } }));
    // The same three recordings are not recognized the same way twice: where the simulator's first packet falls in
    // the VAD's 32 ms windows and the jitter buffer's playout moves the utterance's edges by tens of ms, and
    // pocketsphinx's words move with them. Measured on this 2-core machine: G.722 means 0.03 to 0.26 over runs (0.26
    // under a loaded CI), ulaw 0.75 to 0.82. The bar sits above that spread and far below the telephone band's.
    expect(mean(g722)).toBeLessThanOrEqual(0.35);
    // Never worse than the telephone band; strictly better only when ulaw loses words, which some runs it does not
    // (the three lines are clear speech), so a strict comparison failed whenever both legs were transcribed perfectly.
    expect(mean(g722)).toBeLessThanOrEqual(mean(ulaw));
  });
});
