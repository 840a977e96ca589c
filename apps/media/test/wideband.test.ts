import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });
import { wordErrorRate } from '@parley/audio';
import { MediaHarness } from './harness';

// Issue 8: the same caller line, recognized by pocketsphinx over a G.722 (16 kHz) leg and over a
// G.711 ulaw (8 kHz telephone band) leg. The line is a flite recording (its 16 kHz voices are
// the synthetic speech pocketsphinx recognizes best; espeak-ng's is hard for it at any rate).
const LINE = 'I would like to book an appointment for next Tuesday afternoon.';

let h: MediaHarness;
let dir: string;
let wav: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-wer-'));
  wav = join(dir, 'line.wav');
  execFileSync('flite', ['-voice', 'rms', '-t', LINE, '-o', wav]);
  h = await MediaHarness.start({ script: { rules: [], fallback: { text: 'Thank you.' } } });
});

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wideband vs narrowband recognition', () => {
  it('transcribes the caller close to what was said over g722, and prints the WER of both legs', async () => {
    const agent = { prompt: 'You listen. [wer]', voicemailAction: 'continue' as const };
    const [g722, ulaw] = await Promise.all([
      h.placeCall({ number: '+15550400001', codec: 'g722', scenario: { answer_after_ms: 200, speak_first: true, codec: 'g722', lines: [{ wav }] }, agent }),
      h.placeCall({ number: '+15550400002', codec: 'ulaw', scenario: { answer_after_ms: 200, speak_first: true, codec: 'ulaw', lines: [{ wav }] }, agent }),
    ]);
    const heard = async (callId: string) => {
      const e = await h.waitForSegment(callId, (s) => s.role === 'user');
      return e.type === 'transcript' ? e.data.segment.text : '';
    };
    const [g722Text, ulawText] = await Promise.all([heard(g722.callId), heard(ulaw.callId)]);
    await Promise.all([h.release(g722.callId, 'test_done'), h.release(ulaw.callId, 'test_done')]);
    const werG722 = wordErrorRate(LINE, g722Text);
    const werUlaw = wordErrorRate(LINE, ulawText);
    console.log(JSON.stringify({ spoken: LINE, g722: { text: g722Text, wer: Number(werG722.toFixed(3)) }, ulaw: { text: ulawText, wer: Number(werUlaw.toFixed(3)) } }));
    expect(werG722).toBeLessThanOrEqual(0.25);
  });
});
