import { Resampler, resample } from '@parley/audio';

/**
 * Band-limits 16 kHz audio the way a narrowband (G.711) phone does: through 8 kHz and back,
 * which leaves nothing above ~3.6 kHz. Whole signal, time-aligned.
 */
export function telephoneBand(pcm16k: Int16Array): Int16Array {
  return resample(resample(pcm16k, 16000, 8000), 8000, 16000);
}

/** The streaming form of telephoneBand, for audio that arrives frame by frame. */
export class TelephoneBandFilter {
  private readonly down = new Resampler(16000, 8000);
  private readonly up = new Resampler(8000, 16000);

  process(pcm16k: Int16Array): Int16Array {
    return this.up.process(this.down.process(pcm16k));
  }
}

export { concatPcm } from '@parley/audio';
