import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm, encodeWav, generateTone, rms } from '@parley/audio';
import { OpenAiStt } from './stt/openai';
import { OpenAiTts } from './tts/openai';
import { EspeakTts } from './tts/espeak';
import { FliteTts } from './tts/flite';

// A minimal OpenAI-compatible audio server: what the providers send, and real WAV bytes back
// (24 kHz, as OpenAI's /v1/audio/speech returns), streamed in small pieces.
let server: Server;
let url: string;
const seen: Array<{ path: string; contentType: string; body: Buffer; auth: string }> = [];

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const b = await body(req);
    seen.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: b, auth: String(req.headers.authorization) });
    if (req.url === '/v1/audio/transcriptions') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: ' Tuesday works. ' }));
      return;
    }
    const wav = encodeWav({ sampleRate: 24000, channels: 1, samples: generateTone({ frequency: 440, sampleRate: 24000, durationMs: 500, amplitude: 8000 }) });
    res.writeHead(200, { 'content-type': 'audio/wav' });
    for (let o = 0; o < wav.length; o += 1000) {
      res.write(wav.subarray(o, o + 1000));
      await new Promise((r) => setTimeout(r, 1));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function collect(it: AsyncIterable<Int16Array>): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const p of it) parts.push(p);
  return concatPcm(parts);
}

describe('OpenAI-compatible audio providers', () => {
  it('sends the utterance as a 16 kHz WAV upload with the model and language, and returns the text', async () => {
    const stt = new OpenAiStt({ baseUrl: url, apiKey: 'sk-test', model: 'whisper-1' });
    const result = await stt.transcribe(generateTone({ frequency: 300, sampleRate: 16000, durationMs: 300 }), { language: 'en-US' });
    expect(result.text).toBe('Tuesday works.');
    const req = seen.find((s) => s.path === '/v1/audio/transcriptions')!;
    expect(req.contentType).toMatch(/^multipart\/form-data/);
    expect(req.auth).toBe('Bearer sk-test');
    const text = req.body.toString('latin1');
    expect(text).toContain('name="model"\r\n\r\nwhisper-1');
    expect(text).toContain('name="language"\r\n\r\nen');
    expect(text).toContain('RIFF');
  });

  it('streams an utterance as pieces cut at the pauses: one upload per piece, none for the silence after the last', async () => {
    const stt = new OpenAiStt({ baseUrl: url, apiKey: 'sk-test', model: 'whisper-1' });
    const uploads = () => seen.filter((s) => s.path === '/v1/audio/transcriptions').length;
    const before = uploads();
    const stream = stt.stream({ language: 'en' })!;
    stream.write(generateTone({ frequency: 300, sampleRate: 16000, durationMs: 600, amplitude: 8000 }));
    expect(await stream.partial!()).toBe('Tuesday works.');
    stream.write(new Int16Array(16 * 300));
    stream.write(generateTone({ frequency: 300, sampleRate: 16000, durationMs: 400, amplitude: 8000 }));
    expect(await stream.partial!()).toBe('Tuesday works. Tuesday works.');
    stream.write(new Int16Array(16 * 400));
    expect((await stream.finish()).text).toBe('Tuesday works. Tuesday works.');
    expect(uploads() - before).toBe(2);
    // STT_PIECES=false: no stream, each utterance in one piece at its end.
    expect(new OpenAiStt({ baseUrl: url, model: 'whisper-1', pieces: false }).stream({ language: 'en' })).toBeUndefined();
  });

  it('streams speech from /v1/audio/speech and resamples it to 16 kHz', async () => {
    const tts = new OpenAiTts({ baseUrl: url, model: 'tts-1', defaultVoice: 'alloy' });
    const pcm = await collect(tts.synthesize('Hello there.', { voice: null, language: 'en', signal: new AbortController().signal }));
    expect(Math.abs(pcm.length - 8000)).toBeLessThan(200);
    expect(rms(pcm)).toBeGreaterThan(3000);
    const req = seen.find((s) => s.path === '/v1/audio/speech')!;
    expect(JSON.parse(req.body.toString())).toMatchObject({ model: 'tts-1', voice: 'alloy', input: 'Hello there.', response_format: 'wav' });
  });
});

describe('local TTS engines', () => {
  it('espeak-ng and flite speak 16 kHz audio, and stop when aborted', async () => {
    const signal = new AbortController().signal;
    const espeak = await collect(new EspeakTts().synthesize('Hello, this is Parley.', { voice: null, language: 'en', signal }));
    const flite = await collect(new FliteTts().synthesize('Hello, this is Parley.', { voice: null, language: 'en', signal }));
    for (const pcm of [espeak, flite]) {
      expect(pcm.length).toBeGreaterThan(16000 * 0.8);
      expect(rms(pcm)).toBeGreaterThan(500);
    }
    const ac = new AbortController();
    ac.abort();
    await expect(collect(new EspeakTts().synthesize('Never said.', { voice: null, language: 'en', signal: ac.signal }))).rejects.toThrow();
  });

  it('picks the espeak-ng voice from the agent voice, else its language', () => {
    const tts = new EspeakTts();
    expect(tts.voiceFor({ voice: 'en-us+f3', language: 'en' })).toBe('en-us+f3');
    expect(tts.voiceFor({ voice: null, language: 'es' })).toBe('es');
    expect(tts.voiceFor({ voice: null, language: 'en-GB' })).toBe('en-gb');
    expect(tts.voiceFor({ voice: 'bad; rm -rf', language: 'de-DE' })).toBe('de');
  });
});
