/**
 * Voice benchmark (`pnpm bench voice`): conversational latency with the real local engines.
 * N concurrent calls in real time through one media process's per-call pipeline (RTP, jitter
 * buffer, G.722, Silero VAD, endpointing, pocketsphinx, an instant model, espeak-ng through the
 * spawn host, paced RTP out); the callers run in a child process and say flite recordings, some
 * with a pause inside the sentence, so that a reply to a caller who only paused is counted.
 * Each call opens as an answered outbound call does: the callee's first words (some with a pause
 * inside: "Hello, | this is Maria."), then the agent's greeting, whose gap is reported apart.
 * Per turn: caller's end of speech -> first agent audio heard at the far end, the stages inside
 * (endpointing, VAD lag, STT, model, TTS), and premature replies; and the media process's CPU per
 * call. Today's pipeline (whole-utterance recognition at the endpoint) is measured in the same run
 * as the baseline, each pipeline in a fresh process.
 *
 *   node dist/bench/voice.js [--calls 20] [--seconds 40] [--decoders 2] [--max-decoders 20] [--pipelines adaptive,streaming,batch,pieces]
 *     [--second-pass true|false]
 */
import '../thread-pool';
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conversation, type ConversationSettings } from '../conversation/conversation';
import { percentile, type TurnLatency } from '../conversation/turn-latency';
import type { Llm, LlmChunk, Stt } from '../providers/types';
import { DEFAULT_POCKETSPHINX_ARGS, PocketsphinxStt, pocketsphinxArgs } from '../providers/stt/pocketsphinx';
import { EspeakTts } from '../providers/tts/espeak';
import { SpawnHost } from '../providers/tts/spawn-host';
import { ChunkedSttStream } from '../providers/stt/chunked-stream';
import { SileroVad } from '../providers/vad/silero';
import type { RtpLeg } from '../rtp/rtp-leg';
import { RtpLegs } from '../rtp/rtp-legs';
import { arg, benchSetup, trimmedSpeech } from './bench-support';
import type { VoiceDoneMessage, VoiceUtterance } from './voice-far-end';

type Pipeline = 'adaptive' | 'streaming' | 'batch' | 'pieces';

const PIPELINES: Record<Pipeline, string> = {
  adaptive: 'recognition fed while the caller speaks; the partial transcript sets the endpoint (400 ms after a finished sentence, 1000 after a trailing "and"), the reply prepared during the pause',
  streaming: 'recognition fed while the caller speaks, fixed 600 ms endpointing',
  batch: "round 1's pipeline: the whole utterance recognized at the endpoint, fixed 600 ms endpointing",
  pieces:
    'an engine that recognizes whole pieces only (as Whisper and OpenAI-compatible servers do; here pocketsphinx decoding each piece whole), streamed in pieces cut at the pauses (STT_PIECES), adaptive endpointing',
};

/**
 * What the callers say. People pause inside a turn mostly where the sentence is not finished (after "and", "to");
 * one pause here follows a finished sentence and is shorter than the complete-sentence silence.
 */
const UTTERANCES: Array<{ parts: string[]; pauseMs: number }> = [
  { parts: ['I would like to book an appointment for next Tuesday afternoon.'], pauseMs: 0 },
  { parts: ['My daughter has a fever and', 'she needs to see a doctor.'], pauseMs: 500 },
  { parts: ['Yes.'], pauseMs: 0 },
  { parts: ['Can you move my cleaning to', 'Thursday at four?'], pauseMs: 450 },
  { parts: ['Please send the invoice.', 'To my office on Fifth Street.'], pauseMs: 300 },
];

/**
 * What callees say on answering. "Hello?" and "Yes, hello?" are short (the greeting may answer them on the short
 * greeting silence); "Hello, | this is Maria." pauses where the greeting may start too early; the last is long enough
 * to be a machine's, so the greeting waits until its words show a person.
 */
const FIRST_WORDS: Array<{ parts: string[]; pauseMs: number }> = [
  { parts: ['Hello?'], pauseMs: 0 },
  { parts: ['Hello,', 'this is Maria.'], pauseMs: 350 },
  { parts: ['Yes, hello?'], pauseMs: 0 },
  { parts: ['Good morning, this is Doctor Patel speaking.'], pauseMs: 0 },
];

const GREETING = 'Hi, this is Alex from the clinic.';

const FIXED: ConversationSettings = {
  endpointingSilenceMs: 600,
  vadStartThreshold: 0.5,
  vadEndThreshold: 0.35,
  minSpeechMs: 96,
  bargeInMinSpeechMs: 200,
  silenceRepromptMs: 600_000,
  silenceHangupMs: 1_200_000,
  voicemailDetectMs: 6000,
  longGreetingMs: 3500,
  // The callers' first words come 0.5-3.5 s after the answer: the agent never speaks first here.
  openingWaitMs: 10_000,
};
/**
 * The media service's defaults (ENDPOINTING_PAUSE_MS, ENDPOINTING_COMPLETE_SILENCE_MS, ENDPOINTING_INCOMPLETE_SILENCE_MS,
 * ENDPOINTING_GREETING_SILENCE_MS, the last also --greeting-silence-ms).
 */
const ADAPTIVE: ConversationSettings = { ...FIXED, pauseMs: 200, completeSilenceMs: 400, incompleteSilenceMs: 1000, greetingSilenceMs: Number(arg('greeting-silence-ms', '160')) };


const instantLlm: Llm = {
  name: 'instant',
  async *stream(): AsyncIterable<LlmChunk> {
    yield { type: 'text', text: 'Sure, I can help with that.' };
  },
};


/** flite's 16 kHz voice (the synthetic speech pocketsphinx recognizes best), without leading and trailing silence. */
function flite(text: string, dir: string): number[] {
  const file = join(dir, 'line.wav');
  execFileSync('flite', ['-voice', 'rms', '-t', text, '-o', file]);
  return Array.from(trimmedSpeech(readFileSync(file)));
}

function stage(values: number[]) {
  const r = (v: number | null) => (v === null ? null : Math.round(v));
  return { p50: r(percentile(values, 50)), p95: r(percentile(values, 95)) };
}

/** One pipeline, in this process: prints its result as JSON. */
async function measure(pipeline: Pipeline): Promise<void> {
  const calls = Number(arg('calls', '20'));
  const seconds = Number(arg('seconds', '40'));
  // The media service's defaults: 2 loaded at start, grown to 20 while callers speak at once.
  const decoders = Number(arg('decoders', '2'));
  const maxDecoders = Number(arg('max-decoders', '20'));
  const dir = mkdtempSync(join(tmpdir(), 'parley-voice-bench-'));
  const utterances: VoiceUtterance[] = UTTERANCES.map((u) => ({ parts: u.parts.map((p) => flite(p, dir)), pauseMs: u.pauseMs }));
  const firstWords: VoiceUtterance[] = FIRST_WORDS.map((u) => ({ parts: u.parts.map((p) => flite(p, dir)), pauseMs: u.pauseMs }));
  rmSync(dir, { recursive: true, force: true });

  const vad = await SileroVad.load();
  const secondPass = arg('second-pass', 'true') !== 'false';
  const psArgs = arg('pocketsphinx-args', DEFAULT_POCKETSPHINX_ARGS);
  const pocketsphinx = new PocketsphinxStt({ modelDir: process.env.POCKETSPHINX_MODEL_DIR ?? '/usr/share/pocketsphinx/model/en-us', decoders, maxDecoders, secondPass, streaming: true, args: pocketsphinxArgs(psArgs) });
  // The baseline is the same engine without its stream: every utterance recognized in one piece at the endpoint.
  const batch: Stt = { name: 'pocketsphinx-batch', transcribe: (pcm, o) => pocketsphinx.transcribe(pcm, o) };
  const pieces: Stt = { ...batch, name: 'pocketsphinx-pieces', stream: (o) => new ChunkedSttStream((pcm, signal) => pocketsphinx.transcribe(pcm, { ...o, signal })) };
  const stt: Stt = pipeline === 'batch' ? batch : pipeline === 'pieces' ? pieces : pocketsphinx;
  const spawnHost = new SpawnHost().start();
  const tts = new EspeakTts({ spawnHost });
  const legs = new RtpLegs({ engine: 'native', priority: 'realtime', threads: 2, host: '127.0.0.1', ports: { first: 47000, last: 47000 + calls + 50 }, logger: { warn: () => undefined, error: () => undefined } });
  const farEnd = fork(join(__dirname, 'voice-far-end.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sessions: Array<{ rtp: RtpLeg; conversation: Conversation }> = [];
  const turns: TurnLatency[] = [];
  const greetings: TurnLatency[] = [];
  let greetingsRetaken = 0;
  const heard: string[] = [];
  for (let i = 0; i < calls; i++) {
    let conversation: Conversation | undefined;
    // Before the model's first call, what plays is the greeting.
    let modelCalls = 0;
    const llm: Llm = {
      name: instantLlm.name,
      stream: (request) => {
        modelCalls++;
        return instantLlm.stream(request);
      },
    };
    const rtp = await legs.open({ codec: 'g722', dtx: false, onAudio: (pcm) => conversation?.onCallerAudio(pcm) });
    conversation = new Conversation(
      { ...benchSetup(`voice-${i}`), greeting: GREETING, detectVoicemail: true },
      {
        stt,
        llm,
        tts,
        vad: vad.createStream(),
        vadWindowSamples: vad.windowSamples,
        playout: rtp.playout,
        control: { hangup: async () => undefined, transfer: async () => undefined, sendDtmf: async () => undefined },
        settings: pipeline === 'adaptive' || pipeline === 'pieces' ? ADAPTIVE : FIXED,
        onSegment: (s) => s.role === 'user' && heard.push(s.text),
        onTurnLatency: (l) => (modelCalls === 0 ? greetings : turns).push(l),
        onGreetingRetaken: () => greetingsRetaken++,
        logger: { info: () => undefined, warn: () => undefined },
      },
    );
    sessions.push({ rtp, conversation });
  }
  const ready = new Promise<{ ports: Array<{ port: number }> }>((resolve) => farEnd.once('message', (m) => resolve(m as never)));
  farEnd.send({ type: 'start', codec: 'g722', utterances, firstWords, targets: sessions.map((s) => ({ host: '127.0.0.1', port: s.rtp.port })), durationMs: seconds * 1000, pauseAfterReplyMs: 700 });
  const { ports } = await ready;
  sessions.forEach((s, i) => {
    s.rtp.setRemote({ address: '127.0.0.1', port: ports[i]!.port });
    s.rtp.start();
    s.conversation.start();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = await new Promise<VoiceDoneMessage>((resolve) => farEnd.on('message', (m) => (m as { type: string }).type === 'done' && resolve(m as VoiceDoneMessage)));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  for (const s of sessions) {
    await s.conversation.stop('bench');
    s.rtp.close();
  }
  legs.close();
  farEnd.kill();
  pocketsphinx.close();
  await spawnHost.close();
  const coresUsed = (cpu.user + cpu.system) / 1000 / wallMs;
  const { gapsMs, premature, utterances: said, greetingGapsMs, greetingPremature } = done;
  const short = (firstWords: number) => FIRST_WORDS[firstWords]!.parts.length === 1 && greetingGapsMs.find((g) => g.firstWords === firstWords)!.firstWordsMs <= 1200;
  const result = {
    pipeline,
    what: PIPELINES[pipeline],
    calls,
    seconds,
    decoders: { at_start: decoders, max: maxDecoders, at_end: pocketsphinx.size.decoders },
    uv_threadpool_size: Number(process.env.UV_THREADPOOL_SIZE),
    second_pass: secondPass,
    pocketsphinx_args: psArgs,
    turns: gapsMs.length,
    utterances_said: said,
    // The figure the goals are about: at the far end, last caller speech packet -> first agent audio.
    end_of_speech_to_first_audio_ms: stage(gapsMs),
    premature_replies: premature,
    premature_reply_ratio: said ? Math.round((premature / said) * 1000) / 1000 : 0,
    stages_ms: {
      endpointing: stage(turns.map((t) => t.endpointingMs)),
      vad_lag: stage(turns.map((t) => t.vadLagMs)),
      stt: stage(turns.map((t) => t.sttMs)),
      llm_first_token: stage(turns.map((t) => t.llmFirstTokenMs)),
      tts_first_audio: stage(turns.map((t) => t.ttsFirstAudioMs)),
      first_audio_out_inside: stage(turns.map((t) => t.firstAudioOutMs)),
      added: stage(turns.map((t) => t.addedMs)),
    },
    greeting: {
      // From the end of the callee's first words to the greeting's first audio at the far end.
      end_of_first_words_to_greeting_ms: stage(greetingGapsMs.map((g) => g.gapMs)),
      after_short_first_words_ms: stage(greetingGapsMs.filter((g) => short(g.firstWords)).map((g) => g.gapMs)),
      by_first_words: FIRST_WORDS.map((w, i) => {
        const gaps = greetingGapsMs.filter((g) => g.firstWords === i);
        return { said: w.parts.join(' | '), first_words_ms: gaps[0]?.firstWordsMs ?? null, calls: gaps.length, ...stage(gaps.map((g) => g.gapMs)) };
      }),
      greetings_heard: greetingGapsMs.length,
      // The greeting started in a pause inside the first words ("Hello, | this is Maria."); it stops and is said again.
      premature_greetings: greetingPremature,
      greetings_retaken: greetingsRetaken,
      stages_ms: {
        endpointing: stage(greetings.map((t) => t.endpointingMs)),
        stt_or_person_check: stage(greetings.map((t) => t.sttMs)),
        tts_first_audio: stage(greetings.map((t) => t.ttsFirstAudioMs)),
        first_audio_out_inside: stage(greetings.map((t) => t.firstAudioOutMs)),
      },
      goal_met_after_short_first_words: (percentile(greetingGapsMs.filter((g) => short(g.firstWords)).map((g) => g.gapMs), 95) ?? Infinity) <= 300,
    },
    media_cpu_cores: Math.round(coresUsed * 1000) / 1000,
    media_cpu_per_call: Math.round((coresUsed / calls) * 10000) / 10000,
    far_end_cpu_cores: Math.round(done.cpuCores * 1000) / 1000,
    load_average_1m: Math.round(loadavg()[0]! * 100) / 100,
    sample_transcripts: [...new Set(heard)].slice(0, 6),
    goals_met: {
      p50_at_most_600ms: (percentile(gapsMs, 50) ?? Infinity) <= 600,
      p95_at_most_900ms: (percentile(gapsMs, 95) ?? Infinity) <= 900,
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function measureInChild(pipeline: Pipeline): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2), '--measure', pipeline], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`the ${pipeline} measurement exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

async function main(): Promise<void> {
  const only = arg('measure', '');
  if (only) return measure(only as Pipeline);
  const pipelines = arg('pipelines', 'adaptive,streaming,batch,pieces').split(',') as Pipeline[];
  const result: Record<string, unknown> = {
    cores: cpus().length,
    what: 'caller end of speech -> first agent audio, real time, real local engines (Silero, pocketsphinx, espeak-ng), instant model; callers in a child process; each pipeline in a fresh process',
    goals: { end_of_speech_to_first_audio_ms: { p50: '<= 600', p95: '<= 900' }, premature_replies: 'no more than the baseline', greeting_after_first_words_ms: '<= 300' },
    greeting: { text: GREETING, short_first_words_silence_ms: { adaptive: ADAPTIVE.greetingSilenceMs, streaming: null, batch: null, pieces: ADAPTIVE.greetingSilenceMs } },
    endpointing: { fixed_silence_ms: FIXED.endpointingSilenceMs, adaptive: { pause_ms: ADAPTIVE.pauseMs, complete_silence_ms: ADAPTIVE.completeSilenceMs, incomplete_silence_ms: ADAPTIVE.incompleteSilenceMs } },
    utterances: UTTERANCES,
    first_words: FIRST_WORDS,
    node: process.version,
  };
  for (const p of pipelines) result[p] = await measureInChild(p);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
