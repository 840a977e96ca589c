/**
 * Silero VAD's inference thread (started by SileroVad): one onnxruntime session, one batch at a time, requests and
 * answers in the shared memory of the batch channel. At 8 kHz it first halves the rate with a 15-tap half-band filter
 * over each window's lead-in, so every window is filtered exactly as the continuous stream would be.
 *
 * Self-contained (Node built-ins only, onnxruntime-node by the path the parent resolved): run from the TypeScript
 * sources, it is transpiled and evaluated, and an evaluated thread cannot resolve modules of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';

export interface SileroThreadData {
  /** onnxruntime-node's entry point, as resolved by the parent. */
  ortPath: string;
  modelPath: string;
  /** The rate the model runs at. */
  rate: 8000 | 16000;
  /** 16 kHz samples per window, of lead-in before each, and most windows in a batch. */
  window: number;
  lead: number;
  maxBatch: number;
  /** The batch channel's views of its shared memory (see Channel in silero.ts). */
  ctrl: Int32Array;
  pcm: Int16Array;
  stateIn: Float32Array;
  probs: Float32Array;
  stateOut: Float32Array;
}

export type SileroThreadReply = { ready: true } | { fatal: string } | { error: string };

/** Half-band low-pass for 16 -> 8 kHz: a Hann-windowed sinc cut at 4 kHz, unity gain at DC. */
function halfBandTaps(): Float32Array {
  const taps = new Float32Array(15);
  for (let j = 0; j < taps.length; j++) {
    const n = j - 7;
    taps[j] = (n === 0 ? 0.5 : Math.sin((Math.PI * n) / 2) / (Math.PI * n)) * (0.5 + 0.5 * Math.cos((Math.PI * n) / 8));
  }
  const gain = taps.reduce((a, b) => a + b, 0);
  for (let j = 0; j < taps.length; j++) taps[j]! /= gain;
  return taps;
}

async function serve(port: NonNullable<typeof parentPort>, data: SileroThreadData): Promise<void> {
  const ort = require(data.ortPath) as typeof Ort;
  const { rate, window: IN, lead: LEAD, maxBatch: MAX, ctrl, pcm, stateIn, probs, stateOut } = data;
  const WIN = rate === 16000 ? 512 : 256;
  const CTX = rate === 16000 ? 64 : 32;
  const N = CTX + WIN;
  const H = halfBandTaps();
  /** Window i of the batch (with its lead-in) as the model's input row at `at`. */
  const row = (i: number, input: Float32Array, at: number) => {
    const base = i * (LEAD + IN);
    if (rate === 16000) {
      for (let j = 0; j < N; j++) input[at + j] = pcm[base + LEAD - CTX + j]! / 32768;
      return;
    }
    // Output k sits at the odd input sample `p`: the last N outputs end with the window. The
    // filter is symmetric and every other tap is zero: five products per output.
    const [h0, h2, h4, h6, h7] = [H[0]!, H[2]!, H[4]!, H[6]!, H[7]!];
    for (let k = 0, p = base + LEAD + IN - 2 * N + 1; k < N; k++, p += 2) {
      input[at + k] = (h0 * (pcm[p]! + pcm[p - 14]!) + h2 * (pcm[p - 2]! + pcm[p - 12]!) + h4 * (pcm[p - 4]! + pcm[p - 10]!) + h6 * (pcm[p - 6]! + pcm[p - 8]!) + h7 * pcm[p - 7]!) / 32768;
    }
  };

  const session = await ort.InferenceSession.create(data.modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), [1]);
  port.postMessage({ ready: true } satisfies SileroThreadReply);
  let seen = 0;
  for (;;) {
    // This thread has nothing else to do: it sleeps on the request counter (a plain futex wait,
    // which the event loop's notify wakes cheaply; an asynchronous wait costs both sides a task).
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    const batch = ctrl[2]!;
    try {
      const input = new Float32Array(batch * N);
      for (let i = 0; i < batch; i++) row(i, input, i * N);
      // State layout [2, batch, 128]: the request's two halves sit MAX apart.
      const state = new Float32Array(2 * batch * 128);
      state.set(stateIn.subarray(0, batch * 128), 0);
      state.set(stateIn.subarray(MAX * 128, MAX * 128 + batch * 128), batch * 128);
      const out = await session.run({ input: new ort.Tensor('float32', input, [batch, N]), state: new ort.Tensor('float32', state, [2, batch, 128]), sr });
      probs.set(out.output!.data as Float32Array);
      const next = out.stateN!.data as Float32Array;
      stateOut.set(next.subarray(0, batch * 128), 0);
      stateOut.set(next.subarray(batch * 128, 2 * batch * 128), MAX * 128);
      ctrl[3] = 0;
    } catch (err) {
      ctrl[3] = 1;
      port.postMessage({ error: String((err && (err as Error).message) || err) } satisfies SileroThreadReply);
    }
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
}

if (parentPort) {
  const port = parentPort;
  serve(port, workerData as SileroThreadData).catch((err: unknown) => port.postMessage({ fatal: String((err && (err as Error).stack) || err) } satisfies SileroThreadReply));
}
