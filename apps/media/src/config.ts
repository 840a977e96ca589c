import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { AUDIO_CODECS, MediaId } from '@parley/common';
import { recordingsConfigProblems, recordingsEnv } from '@parley/recording-store';
import { ConfigError, commonEnv, env, loadConfig, outboundEnv, secretKeyEnv } from '@parley/service-kit';
import { DEFAULT_POCKETSPHINX_ARGS } from './providers/stt/pocketsphinx';

const portRange = (fallback: string) => z
  .string()
  .default(fallback)
  .transform((value, ctx) => {
    const m = /^(\d+)-(\d+)$/.exec(value.trim());
    const first = m ? Number(m[1]) : NaN;
    const last = m ? Number(m[2]) : NaN;
    if (!m || first < 1024 || last > 65535 || first > last) {
      ctx.addIssue({ code: 'custom', message: 'must be FIRST-LAST within 1024-65535, e.g. 40000-40999' });
      return z.NEVER;
    }
    return { first, last };
  });

/** Media reads no database (a call's snapshot comes with its allocate request): the common settings but DATABASE_URL. */
const { DATABASE_URL: _noDatabase, ...serviceEnv } = commonEnv;

export const MediaConfigSchema = z.object({
  ...serviceEnv,
  MEDIA_PORT: env.port(3002),
  /** The SSRF guard of agents' HTTP tools, shared with webhook delivery. */
  ...outboundEnv,
  /** Opens agents' HTTP tool headers, which the api stores sealed. */
  ...secretKeyEnv,
  MEDIA_HOST: env.string('127.0.0.1'),
  /** Address Asterisk sends RTP to (the ExternalMedia external_host); RTP sockets bind to it. */
  MEDIA_RTP_HOST: env.string('127.0.0.1'),
  MEDIA_RTP_PORTS: portRange('40000-40999'),
  /**
   * Web calls (WebRTC): the address their ICE candidates bind and advertise (browsers must reach it; loopback is
   * only for a browser on this machine), and the UDP ports they take, one per call.
   */
  MEDIA_WEBRTC_HOST: env.string('127.0.0.1'),
  MEDIA_WEBRTC_PORTS: portRange('41000-41999'),
  /**
   * Behind a 1:1 NAT (a cloud VM's public address forwarded to MEDIA_WEBRTC_HOST): the address browsers reach, added
   * to each answer as a candidate with the same port. Empty: none.
   */
  MEDIA_WEBRTC_PUBLIC_ADDRESS: env.string(''),
  /** Web calls send nothing while the agent is silent (as WebRTC's own audio does): about 40% less CPU per call. */
  MEDIA_WEBRTC_DTX: env.bool(true),
  /** Codec expected when a request names none (the dialer always names one). */
  MEDIA_CODEC: z.enum(AUDIO_CODECS).default('g722'),
  /** Discontinuous transmission: send nothing while the agent is silent (after 200 ms). Cheaper, but some carriers hang up on long media silence. */
  MEDIA_DTX: env.bool(false),
  /**
   * native: one native thread paces, encodes and sends every call's outgoing audio (built at
   * install; without it the service warns and falls back); js: the event loop does, which GC
   * pauses and busy moments make late under load.
   */
  MEDIA_RTP_ENGINE: z.enum(['native', 'js']).default('native'),
  /**
   * Priority of the native engine's thread: realtime (SCHED_FIFO; needs CAP_SYS_NICE, e.g. compose
   * cap_add: SYS_NICE, or root), high (nice -10, also needs CAP_SYS_NICE), normal. It takes the best
   * it is allowed, and logs which.
   */
  MEDIA_RTP_PRIORITY: z.enum(['realtime', 'high', 'normal']).default('realtime'),
  /**
   * Pacing threads of the native engine: 2 (each pinned to its own CPU, both wake for every frame
   * and whichever comes first sends it, so a CPU the kernel or the hypervisor holds up for a few ms
   * makes no frame late) or 1. Never more than the CPUs the process may use.
   */
  MEDIA_RTP_THREADS: z.coerce.number().int().min(1).max(2).default(2),
  /**
   * Calls this process takes at once (phone and web); beyond it, allocations and offers are refused and the placer asks
   * the next media process. 100 is a round starting point, not a measurement: what one process carries depends on the
   * machine and the engines (`pnpm bench media` with instant ones, `pnpm bench voice` with the real ones); set it from those.
   */
  MEDIA_MAX_SESSIONS: env.int(100, 1),
  /**
   * Names this process on NATS: it answers `media.<MEDIA_ID>.allocate` and advertises its load under it. One subject
   * token (letters, digits, _ and -); by default the hostname (dots made dashes) and the pid.
   */
  MEDIA_ID: MediaId.default(`${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`.slice(-64)),
  /** How often this process advertises its load (and soon after every change of its call count); silent for three of these, it is forgotten. */
  MEDIA_LOAD_INTERVAL_MS: env.int(1000, 50),

  STT_PROVIDER: z.enum(['pocketsphinx', 'whisper', 'openai']).default('pocketsphinx'),
  POCKETSPHINX_MODEL_DIR: env.string('/usr/share/pocketsphinx/model/en-us'),
  /**
   * Decoders loaded at start (each holds its own copy of the models, about 100 MB, and takes 0.25-1 s to load). A caller
   * who starts speaking while one is idle is recognized as they speak (streamed); otherwise at the end, queued for one.
   */
  POCKETSPHINX_DECODERS: env.int(2, 1),
  /**
   * How far the pool grows, one decoder at a time on the thread pool, while more callers speak at once than there are
   * decoders (never shrinks). About one per call speaking at once: at 20 concurrent calls, 10 decoders gave a p95 of
   * 1,211 ms end of speech -> first audio, 20 gave 774 ms (`pnpm bench voice`). 20 decoders are about 2 GB.
   */
  POCKETSPHINX_MAX_DECODERS: env.int(20, 1),
  /**
   * pocketsphinx's second (flat-lexicon) search pass at the end of each utterance: slightly more accurate, but it is
   * most of what is left to do when the caller stops (about 0.4-1 s against 40-200 ms without it, on 2 busy cores).
   */
  POCKETSPHINX_SECOND_PASS: env.bool(true),
  /** Recognize callers while they speak (faster turns, adaptive endpointing); each call keeps its own cepstral mean. */
  POCKETSPHINX_STREAMING: env.bool(true),
  /**
   * pocketsphinx's own options, as on its command line ("-beam 1e-48 -topn 4"...), over Parley's defaults. The default
   * scores every other frame (`-ds 2`) and keeps at most 3,000 HMMs active per frame (`-maxhmmpf`, pocketsphinx's own
   * default is 30,000): about a third less CPU per second of speech, and no loss of accuracy measured (media README).
   */
  POCKETSPHINX_ARGS: env.string(DEFAULT_POCKETSPHINX_ARGS),
  WHISPER_MODEL_PATH: env.optional(),
  WHISPER_THREADS: env.int(2, 1),
  /** Utterances transcribed at once (each holds its own whisper state). */
  WHISPER_CONCURRENCY: env.int(1, 1),
  STT_BASE_URL: env.optional(),
  STT_API_KEY: env.optional(),
  STT_MODEL: env.string('whisper-1'),
  /**
   * Whisper and OpenAI-compatible STT recognize an utterance in pieces cut at the caller's pauses (the words so far are
   * recognized while the turn may be ending): at the end of the turn only the audio after the last pause is left, and
   * adaptive endpointing and prepared replies work with them too. A pause in mid-sentence costs one more request. false:
   * each utterance in one piece at its end.
   */
  STT_PIECES: env.bool(true),

  TTS_PROVIDER: z.enum(['espeak', 'flite', 'openai']).default('espeak'),
  TTS_BASE_URL: env.optional(),
  TTS_API_KEY: env.optional(),
  TTS_MODEL: env.string('tts-1'),
  /** Voice when the agent names none (espeak-ng voice, flite voice, or the OpenAI voice). */
  TTS_VOICE: env.optional(),

  LLM_BASE_URL: env.url('http://127.0.0.1:8191/v1'),
  LLM_API_KEY: env.string('sandbox'),
  LLM_MODEL: env.string('parley-sandbox'),
  LLM_TIMEOUT_MS: env.int(15_000, 100),

  /** Silence after caller speech that ends the caller's turn (when what was said does not tell, or without a streaming recognizer). */
  ENDPOINTING_SILENCE_MS: env.int(600, 100),
  /**
   * Adaptive endpointing (streaming recognizers): after this much silence the words so far are looked at; if they read
   * like a finished sentence the reply is prepared at once and the turn ends after ENDPOINTING_COMPLETE_SILENCE_MS,
   * after a word that needs more ("and", "the", "um") only after ENDPOINTING_INCOMPLETE_SILENCE_MS. 0: fixed endpointing.
   */
  ENDPOINTING_PAUSE_MS: env.int(200),
  ENDPOINTING_COMPLETE_SILENCE_MS: env.int(400, 100),
  ENDPOINTING_INCOMPLETE_SILENCE_MS: env.int(1000, 100),
  /**
   * The silence that ends a callee's short first words ("Hello?", up to 1.2 s) when the agent has a greeting: the
   * greeting is known and synthesized ahead, so it answers at once (160: it is heard 210-250 ms after the hello, in
   * `pnpm bench voice`). A pause inside the first words ("Hello, | this is Maria.") starts it too early: the callee's
   * going on within a second stops it, and it is said again, whole, when they are done. 0: the usual endpointing.
   */
  ENDPOINTING_GREETING_SILENCE_MS: env.int(160, 0),
  /**
   * On a call that listens for an answering machine, how long after the answer a callee who says nothing is waited for
   * before the agent speaks first (the greeting, synthesized ahead, or the model's opening). Callees who wait for the
   * caller to speak hear this much silence.
   */
  OPENING_WAIT_MS: env.int(1500, 0),
  /** Silero speech probability that starts speech, and the lower one that keeps it going. */
  VAD_START_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  VAD_END_THRESHOLD: z.coerce.number().min(0).max(1).default(0.35),
  /**
   * Rate Silero runs at: 8000 (caller audio halved first) costs about half as much per window as
   * 16000; on speech, pauses and noise the two agree on 97-99% of windows and on where speech
   * ends to within a window or two.
   */
  VAD_SAMPLE_RATE: z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000)])).default(8000),
  /** Frames quieter than this skip the model (counted as silence): keeps Silero's cost on speech only. */
  VAD_ENERGY_FLOOR_DBFS: env.number(-55),
  /** Caller speech this long during agent playback interrupts it (barge-in). */
  BARGE_IN_MIN_SPEECH_MS: env.int(200, 0),
  /** Quiet caller after the agent's turn: re-prompt after this, hang up after SILENCE_HANGUP_MS. */
  SILENCE_REPROMPT_MS: env.int(8000, 500),
  SILENCE_HANGUP_MS: env.int(20_000, 1000),
  /** How long an answering machine may take to show itself (greeting, beep, phrases). */
  VOICEMAIL_DETECT_MS: env.int(6000, 500),

  /** Where recordings go (local disk or S3), the same settings as the api's; RECORDINGS_DIR is the spool with S3. */
  ...recordingsEnv,
  /** First wait after a failed upload (or announcement) of a recording, doubled each time up to 30 s; retried until it works. */
  RECORDINGS_UPLOAD_RETRY_MS: env.int(1000, 10),
  /** At shutdown, how long uploads under way may take; what is left stays in the spool for the next start. */
  RECORDINGS_UPLOAD_SHUTDOWN_MS: env.int(10_000, 0),
});
export type MediaConfig = z.infer<typeof MediaConfigSchema>;

export const MEDIA_CONFIG = Symbol('MEDIA_CONFIG');

export function loadMediaConfig(source: NodeJS.ProcessEnv = process.env): MediaConfig {
  const config = loadConfig(MediaConfigSchema, source);
  checkProviderSettings(config);
  return config;
}

/** Settings that only matter for the provider chosen, checked at start with what to do about them. */
export function checkProviderSettings(config: MediaConfig): void {
  const problems: string[] = [];
  if (config.STT_PROVIDER === 'whisper') {
    if (!config.WHISPER_MODEL_PATH) problems.push(`STT_PROVIDER=whisper needs WHISPER_MODEL_PATH (a ggml model file). ${WHISPER_DOWNLOAD_HINT}`);
    else if (!existsSync(config.WHISPER_MODEL_PATH)) problems.push(`WHISPER_MODEL_PATH ${config.WHISPER_MODEL_PATH} does not exist. ${WHISPER_DOWNLOAD_HINT}`);
  }
  if (config.STT_PROVIDER === 'openai' && !config.STT_BASE_URL) problems.push('STT_PROVIDER=openai needs STT_BASE_URL (an OpenAI-compatible server, e.g. https://api.openai.com/v1)');
  if (config.TTS_PROVIDER === 'openai' && !config.TTS_BASE_URL) problems.push('TTS_PROVIDER=openai needs TTS_BASE_URL (an OpenAI-compatible server, e.g. https://api.openai.com/v1)');
  if (config.SILENCE_HANGUP_MS <= config.SILENCE_REPROMPT_MS) problems.push('SILENCE_HANGUP_MS must be longer than SILENCE_REPROMPT_MS');
  if (config.ENDPOINTING_PAUSE_MS > 0 && config.ENDPOINTING_PAUSE_MS >= config.ENDPOINTING_COMPLETE_SILENCE_MS) problems.push('ENDPOINTING_PAUSE_MS must be shorter than ENDPOINTING_COMPLETE_SILENCE_MS (or 0 to turn adaptive endpointing off)');
  if (config.VAD_END_THRESHOLD > config.VAD_START_THRESHOLD) problems.push('VAD_END_THRESHOLD must not exceed VAD_START_THRESHOLD');
  problems.push(...recordingsConfigProblems(config));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

export const WHISPER_DOWNLOAD_HINT =
  'Download a whisper.cpp ggml model once, e.g. `curl -L -o var/models/ggml-base.en.bin https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin` (or whisper.cpp\'s models/download-ggml-model.sh base.en), and point WHISPER_MODEL_PATH at it.';
