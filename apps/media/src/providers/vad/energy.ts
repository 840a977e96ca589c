import { rms } from '@parley/audio';
import type { Vad, VadStream } from '../types';

/**
 * Level-based VAD: probability 1 above the threshold, 0 below. No model, no cost: for tests and
 * the benchmark, and a fallback where onnxruntime cannot run.
 */
export class EnergyVadProvider implements Vad {
  readonly windowSamples = 512;
  private readonly thresholdRms: number;

  constructor(thresholdDbfs = -40) {
    this.thresholdRms = 32768 * Math.pow(10, thresholdDbfs / 20);
  }

  createStream(): VadStream {
    return {
      probability: (window) => Promise.resolve(rms(window) >= this.thresholdRms ? 1 : 0),
      close: () => undefined,
    };
  }
}
