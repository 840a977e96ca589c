/**
 * Media benchmark: how many concurrent calls one media process carries at real time, for G.722
 * and G.711 ulaw legs. Each call is the real per-call pipeline (UDP RTP in and out, jitter
 * buffer, decode/encode, Silero VAD, endpointing, the conversation loop, paced output) with
 * STT, LLM and TTS replaced by instant fakes; the far ends run in a child process. Prints one
 * JSON object: per codec the calls, CPU used (calls per core), outgoing packets late by more than
 * 5 ms, and the added latency per turn (caller speech end -> first agent audio, minus the
 * endpointing wait and provider time), measured inside (per-turn marks) and at the far end.
 *
 * The calls run on the native RTP engine with two pacing threads (as the service does by default);
 * the same load with one pacing thread (MEDIA_RTP_THREADS=1) and on the event loop's engine
 * (MEDIA_RTP_ENGINE=js) is measured in the same run as the baselines. Beside
 * each measurement a thread that does nothing but wake every millisecond at the engine's priority
 * (the machine's wake probe) shows how late the machine itself lets such a thread run.
 *
 * Each measurement runs in a fresh process (with the same node flags): one that inherited the
 * heap of the one before spent its first full collection freeing 200 calls at once.
 *
 *   node dist/bench/main.js [--calls 200] [--seconds 20] [--codecs g722,ulaw] [--engine native|js]
 *     [--baseline g722|none] [--priority realtime|high|normal] [--rtp-threads 2|1] [--dtx] [--vad energy] [--tts-process]
 *
 * --tts-process: each reply also starts a process (`true`) the way espeak-ng and flite are
 * started (through the spawn host), to show what a process-based synthesizer costs the calls.
 *
 * --llm webhook: every reply comes from a conversation webhook (an agent in webhook mode) served in this process, its
 * answer streamed as NDJSON and written at once, through the outbound guard as in the service; the result adds, per
 * turn, the platform's time from the end of the caller's turn (final transcript) to the request reaching the endpoint,
 * and from the endpoint writing its first words to their first audio leaving. The instant model is the baseline, in
 * the same run.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { type CodecName, g722Engine, RtpEngine, type RtpEnginePriority, WakeProbe } from '@parley/audio';
import { Conversation } from '../conversation/conversation';
import { percentile, type TurnLatency } from '../conversation/turn-latency';
import type { Llm, LlmChunk, Stt, Tts } from '../providers/types';
import { EnergyVadProvider } from '../providers/vad/energy';
import type { Vad } from '../providers/types';
import { SpawnHost } from '../providers/tts/spawn-host';
import { SileroVad } from '../providers/vad/silero';
import type { RtpLeg } from '../rtp/rtp-leg';
import { type RtpEngineName, RtpLegs } from '../rtp/rtp-legs';
import { startConversationBackend, type ConversationBackend } from '@parley/sandbox-llm';
import { createGuardedFetch, OutboundAddressPolicy } from '@parley/service-kit';
import { ConversationWebhook } from '../providers/llm/conversation-webhook';
import { arg, benchSetup, trimmedSpeech } from './bench-support';
import { type AnsweredPeer, answerPeer } from '../webrtc/web-call';

const ENDPOINTING_MS = 600;


const instantStt: Stt = { name: 'instant', transcribe: () => Promise.resolve({ text: 'I would like an appointment' }) };
const instantLlm: Llm = {
  name: 'instant',
  async *stream(): AsyncIterable<LlmChunk> {
    yield { type: 'text', text: 'Sure, I can help with that.' };
  },
};

const WEBHOOK_SECRET = 'whsec_YmVuY2gtY29udmVyc2F0aW9uLXdlYmhvb2s=';

/** One call's conversation webhook, noting when each request was made and its first words came back. */
class MeasuredWebhook implements Llm {
  readonly name = 'measured_webhook';
  readonly actsOnly = true;
  readonly requests: Array<{ turnId: string; madeAt: number; firstWordsAt?: number }> = [];
  private readonly inner: ConversationWebhook;
  private made = 0;

  constructor(
    private readonly callId: string,
    url: string,
    fetchImpl: typeof fetch,
  ) {
    this.inner = new ConversationWebhook({ url, timeoutMs: 10_000, secret: WEBHOOK_SECRET, call: { id: callId, agent_id: callId, direction: 'outbound', from_number: null, to_number: null, context: {}, metadata: {} }, fetch: fetchImpl });
  }

  async *stream(request: Parameters<Llm['stream']>[0]): AsyncIterable<LlmChunk> {
    const record: MeasuredWebhook['requests'][number] = { turnId: `${this.callId}:${++this.made}`, madeAt: performance.now() };
    this.requests.push(record);
    for await (const chunk of this.inner.stream(request)) {
      if (chunk.type === 'text') record.firstWordsAt ??= performance.now();
      yield chunk;
    }
  }
}

function instantTts(reply: Int16Array, spawnHost: SpawnHost | undefined): Tts {
  return {
    name: 'instant',
    async *synthesize() {
      if (spawnHost) await spawnHost.run('true', []).exited;
      yield reply;
    },
  };
}

/** espeak-ng speech at 16 kHz without its leading and trailing silence. */
function espeak(text: string): Int16Array {
  return trimmedSpeech(execFileSync('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '170', text]));
}


interface Run {
  engine: RtpEngineName;
  codec: CodecName;
  calls: number;
  seconds: number;
  dtx: boolean;
  priority: RtpEnginePriority;
  threads: number;
  spawnHost: SpawnHost | undefined;
  /** --llm webhook: the endpoint every call's agent asks. */
  backend?: ConversationBackend;
  /** --transport webrtc: web calls (each far end a werift browser; DTLS-SRTP; the leg on the event loop's clock). */
  web: boolean;
}

async function runCodec(run: Run, vad: Vad & { stats?: object }, speech: Int16Array, reply: Int16Array, portsFrom: number) {
  const { codec, calls, seconds, dtx, backend } = run;
  const webhookFetch = createGuardedFetch(new OutboundAddressPolicy({ allow: ['127.0.0.1'], platformPorts: [], blockPrivate: false }), { maxResponseBytes: 1 << 20, stream: true });
  const webhookTurns: Array<{ requestOutMs: number; wordsToAudioMs: number }> = [];
  const vadBefore = { ...(vad.stats ?? {}) } as Record<string, number>;
  const legs = new RtpLegs({ engine: run.engine, priority: run.priority, threads: run.threads, host: '127.0.0.1', ports: { first: portsFrom, last: portsFrom + calls + 50 }, logger: { warn: (o, m) => process.stderr.write(`${m}\n`), error: (o, m) => process.stderr.write(`${m}: ${String((o as { err?: unknown }).err)}\n`) } });
  const farEnd = fork(join(__dirname, 'far-end.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sessions: Array<{ rtp: RtpLeg; conversation: Conversation; port: number }> = [];
  const latencies: TurnLatency[] = [];
  const start = { type: 'start', codec, speech: Array.from(speech), durationMs: seconds * 1000, pauseMs: 800, replyMs: Math.round(reply.length / 16) };
  // Web calls: the far ends' offers first, answered here as the media service does (answerPeer).
  const peers: AnsweredPeer[] = [];
  if (run.web) {
    const offers = new Promise<string[]>((resolve) => farEnd.once('message', (m) => resolve((m as { sdps: string[] }).sdps)));
    farEnd.send({ ...start, transport: 'webrtc', count: calls, targets: [] });
    for (const sdp of await offers) peers.push(await answerPeer(sdp, { host: '127.0.0.1', ports: { first: portsFrom + 2000, last: portsFrom + 2000 + calls + 50 } }));
  }
  for (let i = 0; i < calls; i++) {
    let conversation: Conversation | undefined;
    const onAudio = (pcm: Int16Array) => conversation?.onCallerAudio(pcm);
    const rtp = run.web ? legs.openOn(peers[i]!.socket.asSocket(), { codec, dtx, onAudio }) : await legs.open({ codec, dtx, onAudio });
    const webhook = backend ? new MeasuredWebhook(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, backend.url, webhookFetch) : undefined;
    conversation = new Conversation(
      benchSetup(`bench-${i}`),
      {
        stt: instantStt,
        llm: webhook ?? instantLlm,
        tts: instantTts(reply, run.spawnHost),
        vad: vad.createStream(),
        vadWindowSamples: vad.windowSamples,
        playout: rtp.playout,
        control: { hangup: async () => undefined, transfer: async () => undefined, sendDtmf: async () => undefined },
        settings: {
          endpointingSilenceMs: ENDPOINTING_MS,
          vadStartThreshold: 0.5,
          vadEndThreshold: 0.35,
          minSpeechMs: 96,
          bargeInMinSpeechMs: 200,
          silenceRepromptMs: 600_000,
          silenceHangupMs: 1_200_000,
          voicemailDetectMs: 6000,
          longGreetingMs: 3500,
        },
        onSegment: () => undefined,
        onTurnLatency: (l) => {
          latencies.push(l);
          if (webhook && backend) webhookTurns.push(...webhookTurn(webhook, backend, l));
        },
        logger: { info: () => undefined, warn: () => undefined },
      },
    );
    sessions.push({ rtp, conversation, port: rtp.port });
  }
  const ready = new Promise<{ ports: Array<{ port: number }> }>((resolve) => farEnd.once('message', (m) => resolve(m as never)));
  if (run.web) farEnd.send({ type: 'answers', sdps: peers.map((p) => p.sdp) });
  else farEnd.send({ ...start, targets: sessions.map((s) => ({ host: '127.0.0.1', port: s.port })) });
  const { ports } = await ready;
  sessions.forEach((s, i) => {
    s.rtp.setRemote(run.web ? { address: 'webrtc', port: 0 } : { address: '127.0.0.1', port: ports[i]!.port });
    s.rtp.start();
    s.conversation.start();
  });
  // Measure after a warm-up, over the steady state.
  await new Promise((r) => setTimeout(r, 3000));
  const base = sessions.map((s) => ({ out: s.rtp.stats.packetsOut, late: s.rtp.stats.lateFrames, ticks: s.rtp.stats.ticks }));
  const engineLateWakeups = legs.engineStats?.lateWakeups ?? 0;
  const probe = RtpEngine.unavailable ? undefined : new WakeProbe(run.priority);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  latencies.length = 0;
  webhookTurns.length = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const done = new Promise<{ gaps: number[]; received: number; cpuCores: number }>((resolve) => farEnd.on('message', (m) => (m as { type: string }).type === 'done' && resolve(m as never)));
  await new Promise((r) => setTimeout(r, (seconds - 3) * 1000));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const probeStats = probe?.stats;
  probe?.close();
  loopDelay.disable();
  const packetsOut = sessions.reduce((n, s, i) => n + s.rtp.stats.packetsOut - base[i]!.out, 0);
  const late = sessions.reduce((n, s, i) => n + s.rtp.stats.lateFrames - base[i]!.late, 0);
  const ticks = sessions.reduce((n, s, i) => n + s.rtp.stats.ticks - base[i]!.ticks, 0);
  // Slots the pacer skipped after stalls (never sent at all) count as late too.
  const expectedTicks = Math.round((calls * wallMs) / 20);
  const maxLateness = Math.max(...sessions.map((s) => s.rtp.stats.maxLatenessMs));
  const turns = [...latencies];
  const webhookMeasured = [...webhookTurns];
  const { gaps, cpuCores: farEndCores } = await done;
  for (const s of sessions) {
    await s.conversation.stop('bench');
    s.rtp.close();
  }
  for (const p of peers) await p.pc.close().catch(() => undefined);
  legs.close();
  farEnd.kill();
  const coresUsed = (cpu.user + cpu.system) / 1000 / wallMs;
  const added = turns.map((t) => t.addedMs);
  // At the far end: gap between its last speech packet and the first agent audio, minus the endpointing silence (providers are instant).
  const e2eAdded = gaps.map((g) => g - ENDPOINTING_MS);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    engine: run.engine,
    scheduling: legs.scheduling,
    // The engine thread's own view: the longest the system let it oversleep, and its longest round of sending.
    ...(legs.engineStats ? { rtp_engine_thread: { threads: legs.engineStats.threads, wakeups: legs.engineStats.wakeups, wakeups_late_over_5ms: legs.engineStats.lateWakeups - engineLateWakeups, max_wake_late_ms: round(legs.engineStats.maxWakeLateMs), max_busy_ms: round(legs.engineStats.maxBusyMs), max_lock_wait_ms: round(legs.engineStats.maxLockWaitMs) } } : {}),
    // The machine's own view over the same seconds: a thread that only wakes every ms, at the engine's priority.
    ...(probeStats ? { machine_wake_probe: { scheduling: probe!.scheduling, wakeups: probeStats.wakeups, wakeups_late_over_5ms: probeStats.lateWakeups, max_late_ms: round(probeStats.maxLateMs) } } : {}),
    calls,
    seconds_measured: Math.round(wallMs / 100) / 10,
    cpu_cores_used: Math.round(coresUsed * 1000) / 1000,
    calls_per_core: coresUsed > 0 ? Math.round(calls / coresUsed) : null,
    packets_out: packetsOut,
    frame_slots: ticks,
    frame_slots_skipped: Math.max(0, expectedTicks - ticks),
    late_frames_over_5ms: late,
    late_frame_ratio: ticks ? Math.round(((late + Math.max(0, expectedTicks - ticks)) / Math.max(ticks, expectedTicks)) * 1e5) / 1e5 : 0,
    max_lateness_ms: round(maxLateness),
    // How late the event loop ran what was due (a 1 ms timer's lateness): what every frame waits behind.
    event_loop_delay_ms: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
    turns: turns.length,
    added_latency_ms: { p50: round(percentile(added, 50)), p95: round(percentile(added, 95)), max: round(added.length ? Math.max(...added) : null) },
    // Part of the added latency: the VAD's answers behind the caller's audio when the endpoint fell due.
    vad_lag_ms: { p50: round(percentile(turns.map((t) => t.vadLagMs), 50)), p95: round(percentile(turns.map((t) => t.vadLagMs), 95)) },
    far_end_gap_minus_endpointing_ms: { turns: e2eAdded.length, p50: round(percentile(e2eAdded, 50)), p95: round(percentile(e2eAdded, 95)) },
    vad: { engine: vad instanceof SileroVad ? 'silero' : 'energy', ...Object.fromEntries(Object.entries((vad.stats ?? {}) as Record<string, number>).map(([k, v]) => [k, v - (vadBefore[k] ?? 0)])) },
    goals_met: {
      calls_per_core_at_least_200: coresUsed > 0 && calls / coresUsed >= 200,
      no_frame_late_over_5ms: late === 0 && expectedTicks <= ticks,
      added_latency_p95_under_20ms: (percentile(added, 95) ?? Infinity) < 20,
    },
    ...(backend
      ? {
          conversation_webhook: {
            turns: webhookMeasured.length,
            // Final transcript -> the request at the endpoint (building, signing, the guard, loopback).
            request_out_ms: { p50: round(percentile(webhookMeasured.map((t) => t.requestOutMs), 50)), p95: round(percentile(webhookMeasured.map((t) => t.requestOutMs), 95)) },
            // The endpoint writes its first words -> their first audio out (loopback, parsing, chunking, TTS instant, playout).
            first_words_to_audio_out_ms: { p50: round(percentile(webhookMeasured.map((t) => t.wordsToAudioMs), 50)), p95: round(percentile(webhookMeasured.map((t) => t.wordsToAudioMs), 95)) },
            goals_met: {
              request_out_p95_under_20ms: (percentile(webhookMeasured.map((t) => t.requestOutMs), 95) ?? Infinity) < 20,
              first_words_to_audio_out_p95_under_20ms: (percentile(webhookMeasured.map((t) => t.wordsToAudioMs), 95) ?? Infinity) < 20,
            },
          },
        }
      : {}),
    load_average_1m: Math.round(loadavg()[0]! * 100) / 100,
    far_end_process_cpu_cores: Math.round(farEndCores * 1000) / 1000,
  };
}

/**
 * The webhook's part of a turn whose latency just came: its oldest answered turn request not yet counted (the opening
 * `call.started` has no caller turn to measure from). The endpoint writes its answer as the request arrives, so its
 * arrival is when the first words were written; the turn's request was made at its final transcript.
 */
function webhookTurn(webhook: MeasuredWebhook, backend: ConversationBackend, l: TurnLatency): Array<{ requestOutMs: number; wordsToAudioMs: number }> {
  for (;;) {
    const r = webhook.requests.shift();
    if (!r) return [];
    const received = backend.requests.find((q) => q.body?.turn_id === r.turnId);
    if (!received || received.body!.type !== 'turn' || r.firstWordsAt === undefined) continue;
    const firstAudioOut = r.madeAt + l.firstAudioOutMs - l.endpointingMs - l.vadLagMs - l.sttMs;
    return [{ requestOutMs: received.receivedAt - r.madeAt, wordsToAudioMs: firstAudioOut - received.receivedAt }];
  }
}

/** One measurement, in this process: prints its result as JSON. */
async function measure(engine: RtpEngineName, codec: CodecName): Promise<void> {
  const calls = Number(arg('calls', '200'));
  const seconds = Number(arg('seconds', '20'));
  // --dtx: the agent sends nothing while silent (MEDIA_DTX=true).
  const dtx = process.argv.includes('--dtx');
  // --vad energy isolates the cost of the Silero model.
  const vad = arg('vad', 'silero') === 'energy' ? new EnergyVadProvider(-35) : await SileroVad.load();
  const spawnHost = process.argv.includes('--tts-process') ? new SpawnHost().start() : undefined;
  const speech = espeak('Hello, I would like to book an appointment for next week, please.');
  const reply = espeak('Sure, I can help with that.');
  const priority = arg('priority', 'realtime') as RtpEnginePriority;
  const threads = Number(arg('rtp-threads', '2'));
  const backend = arg('llm', 'instant') === 'webhook' ? await startConversationBackend({ secret: WEBHOOK_SECRET, answer: () => ({ ndjson: [{ say: 'Sure, I can help with that.' }] }) }) : undefined;
  const web = arg('transport', 'udp') === 'webrtc';
  // Web legs send nothing in the agent's silences, as the media service's do (MEDIA_WEBRTC_DTX).
  const result = await runCodec({ engine, codec, calls, seconds, dtx: dtx || web, priority, threads, spawnHost, backend, web }, vad, speech, reply, 46000);
  await spawnHost?.close();
  await backend?.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs one measurement in a fresh process with this one's node flags and arguments. */
function measureInChild(engine: RtpEngineName, codec: CodecName, extra: string[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    // An option given again in `extra` replaces the one this process was given.
    const given = process.argv.slice(2).filter((a, i, all) => !(extra.includes(a) && a.startsWith('--')) && !(i > 0 && extra.includes(all[i - 1]!) && all[i - 1]!.startsWith('--')));
    const child = spawn(process.execPath, [...process.execArgv, __filename, ...given, ...extra, '--measure', `${engine}:${codec}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`the ${engine} ${codec} measurement exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

async function main(): Promise<void> {
  const only = arg('measure', '');
  if (only) {
    const [engine, codec] = only.split(':') as [RtpEngineName, CodecName];
    return measure(engine, codec);
  }
  if (arg('transport', 'udp') === 'webrtc') return webCalls();
  const webhook = arg('llm', 'instant') === 'webhook';
  const codecs = arg('codecs', webhook ? 'g722' : 'g722,ulaw').split(',') as CodecName[];
  const engine = arg('engine', 'native') as RtpEngineName;
  const baseline = arg('baseline', engine === 'native' && !webhook ? 'g722' : 'none');
  const result: Record<string, unknown> = {
    cores: cpus().length,
    what: 'concurrent calls in one media process at real time: RTP in+out, jitter buffer, codec, Silero VAD, endpointing, turn loop; STT/LLM/TTS instant fakes; far ends in a child process; each measurement in a fresh process',
    endpointing_ms: ENDPOINTING_MS,
    goals: { calls_per_core: '>= 200', late_frames_over_5ms: 0, added_latency_p95_ms: '< 20 (measured inside, from the VAD speech end)' },
    dtx: process.argv.includes('--dtx'),
    tts_process: process.argv.includes('--tts-process'),
    rtp_engine: engine,
    g722_engine: g722Engine.name,
    node: process.version,
  };
  for (const codec of codecs) result[codec] = await measureInChild(engine, codec);
  // The same calls with the instant model instead of the endpoint, measured in the same run.
  if (webhook) result[`baseline_instant_model_${codecs[0]}`] = await measureInChild(engine, codecs[0]!, ['--llm', 'instant']);
  // The same load with one pacing thread, and on the event loop's engine, measured in the same run.
  if (baseline !== 'none' && engine === 'native') result[`baseline_one_pacing_thread_${baseline}`] = await measureInChild('native', baseline as CodecName, ['--rtp-threads', '1']);
  if (baseline !== 'none') result[`baseline_js_engine_${baseline}`] = await measureInChild('js', baseline as CodecName);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

/**
 * `pnpm bench webcalls`: web calls (G.722 over DTLS-SRTP from werift browsers in the far-end process) against phone
 * calls (G.722 over plain RTP) in the same run, at the same count: calls per core, added latency per turn.
 */
async function webCalls(): Promise<void> {
  const web = await measureInChild('js', 'g722', ['--transport', 'webrtc']);
  const phone = await measureInChild(arg('engine', 'native') as RtpEngineName, 'g722', ['--transport', 'udp']);
  const density = (r: Record<string, unknown>) => r.calls_per_core as number | null;
  const ratio = density(web) && density(phone) ? Math.round((density(web)! / density(phone)!) * 100) / 100 : null;
  const added = (web.added_latency_ms as { p95: number | null }).p95;
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'webcalls',
        cores: cpus().length,
        what: 'web calls in one media process (werift: ICE, DTLS-SRTP; the RTP leg on the event loop clock; DTX, as MEDIA_WEBRTC_DTX) against phone calls (native engine, no DTX, as the service runs them) at the same count, in the same run; STT/LLM/TTS instant fakes; far ends (werift browsers, or UDP) in a child process',
        web_g722: web,
        phone_g722: phone,
        web_density_vs_phone: ratio,
        goals: { web_density_vs_phone: '>= 0.5', added_latency_p95_ms: '< 20' },
        goals_met: { density_at_least_half: ratio !== null && ratio >= 0.5, added_latency_p95_under_20ms: added !== null && added < 20 },
      },
      null,
      2,
    )}\n`,
  );
}

// Exits when done: the far ends, the VAD thread and the engine would otherwise keep it waiting.
main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
