import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractChannel, parseWav } from '@parley/audio';
import { CallRecorder } from './call-recorder';

const dir = mkdtempSync(join(tmpdir(), 'parley-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CallRecorder', () => {
  it('writes a 16 kHz stereo WAV, caller left and agent right, padding the shorter side', async () => {
    const rec = await CallRecorder.create(join(dir, 'a', 'call.wav'));
    for (let i = 0; i < 100; i++) rec.caller(new Int16Array(320).fill(1000));
    for (let i = 0; i < 60; i++) rec.agent(new Int16Array(320).fill(-2000));
    const { bytes, durationMs } = await rec.finish();
    const file = readFileSync(join(dir, 'a', 'call.wav'));
    expect(bytes).toBe(file.length);
    expect(durationMs).toBe(2000);
    const wav = parseWav(file);
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    const left = extractChannel(wav, 0);
    const right = extractChannel(wav, 1);
    expect(left.length).toBe(32000);
    expect(left[31999]).toBe(1000);
    expect(right[60 * 320 - 1]).toBe(-2000);
    expect(right[60 * 320]).toBe(0);
  });

  it('takes back trailing agent silence when a talkspurt starts early', async () => {
    const rec = await CallRecorder.create(join(dir, 'b.wav'));
    rec.agent(new Int16Array(320).fill(5));
    rec.agent(new Int16Array(320));
    rec.trimAgentSilence(200);
    rec.agent(new Int16Array(320).fill(7));
    for (let i = 0; i < 3; i++) rec.caller(new Int16Array(320));
    await rec.finish();
    const right = extractChannel(parseWav(readFileSync(join(dir, 'b.wav'))), 1);
    expect(right[319]).toBe(5);
    expect(right[320 + 119]).toBe(0);
    expect(right[320 + 120]).toBe(7);
  });

  it('completes a recording cut by a crash: the header counts the whole frames written, a torn one is dropped', async () => {
    const path = join(dir, 'cut.wav');
    const rec = await CallRecorder.create(path);
    for (let i = 0; i < 50; i++) rec.caller(new Int16Array(320).fill(300));
    for (let i = 0; i < 50; i++) rec.agent(new Int16Array(320).fill(-300));
    await rec.finish();
    // What a killed process leaves: the audio written as it came, the header as created (no audio), a torn frame.
    const cut = readFileSync(path);
    cut.writeUInt32LE(36, 4);
    cut.writeUInt32LE(0, 40);
    writeFileSync(path, Buffer.concat([cut, Buffer.from([1, 2, 3])]));
    const { bytes, durationMs } = await CallRecorder.completeCut(path);
    const file = readFileSync(path);
    expect(bytes).toBe(file.length);
    expect(bytes).toBe(cut.length);
    expect(durationMs).toBe(1000);
    const wav = parseWav(file);
    expect(extractChannel(wav, 0)).toHaveLength(16000);
    expect(extractChannel(wav, 1)[15999]).toBe(-300);
  });
});
