/** Windows per block: 16 Silero windows of 512 samples are 0.5 s of 16 kHz audio in 16 KB. */
const BLOCK_WINDOWS = 16;

/**
 * The caller's recent audio, cut into the VAD's windows, for the utterance the STT will hear.
 *
 * It lives in blocks of whole windows, and each window handed out is a view into its block: one
 * array per half second of caller audio instead of one per window. A window kept for the length
 * of an utterance outlives the young generation, and thousands of small arrays dying in the old
 * one (31 windows a second per call) made each full collection's array-buffer sweep slow enough
 * to stall the event loop for 200-290 ms at 200 calls.
 */
export class CallerAudioHistory {
  private readonly blockSamples: number;
  private blocks: Int16Array[] = [];
  /** Sample index (from the start of the call) of blocks[0][0]. */
  private blocksFrom = 0;
  /** First sample still kept (a window boundary; what is before it was forgotten). */
  private keptFrom = 0;
  /** Samples appended so far. */
  private written = 0;

  constructor(readonly windowSamples: number) {
    this.blockSamples = windowSamples * BLOCK_WINDOWS;
  }

  /** Samples heard so far, the window still filling included. */
  get samples(): number {
    return this.written;
  }

  /**
   * Appends caller audio; `onWindow` gets each window it completes, with the sample index it
   * starts at. The window is not changed afterwards (a block is never reused).
   */
  append(pcm: Int16Array, onWindow: (window: Int16Array, startSample: number) => void): void {
    let offset = 0;
    while (offset < pcm.length) {
      const at = this.written - this.blocksFrom;
      const index = Math.floor(at / this.blockSamples);
      if (index === this.blocks.length) this.blocks.push(new Int16Array(this.blockSamples));
      const block = this.blocks[index]!;
      const inBlock = at - index * this.blockSamples;
      const inWindow = inBlock % this.windowSamples;
      const take = Math.min(this.windowSamples - inWindow, pcm.length - offset);
      block.set(pcm.subarray(offset, offset + take), inBlock);
      offset += take;
      this.written += take;
      if (inWindow + take === this.windowSamples) {
        const start = inBlock - inWindow;
        onWindow(block.subarray(start, start + this.windowSamples), this.written - this.windowSamples);
      }
    }
  }

  /** Forgets the windows that start before `sample` (for good: a later call cannot bring them back). */
  forgetBefore(sample: number): void {
    const boundary = Math.min(Math.ceil(sample / this.windowSamples) * this.windowSamples, this.written - (this.written % this.windowSamples));
    if (boundary <= this.keptFrom) return;
    this.keptFrom = boundary;
    const drop = Math.floor((boundary - this.blocksFrom) / this.blockSamples);
    if (drop > 0) {
      this.blocks.splice(0, drop);
      this.blocksFrom += drop * this.blockSamples;
    }
  }

  /**
   * A copy of the kept windows that start at or after `from` and before `to`, up to the window
   * ending at `until` (sample indexes; `from` and `to` may fall inside windows).
   */
  copy(from: number, to: number, until: number): Int16Array {
    const w = this.windowSamples;
    const first = Math.max(this.keptFrom, Math.ceil(from / w) * w);
    const end = Math.min(Math.ceil(to / w) * w, Math.floor(Math.min(until, this.written) / w) * w);
    const out = new Int16Array(Math.max(0, end - first));
    for (let s = first; s < end; ) {
      const at = s - this.blocksFrom;
      const index = Math.floor(at / this.blockSamples);
      const inBlock = at - index * this.blockSamples;
      const n = Math.min(this.blockSamples - inBlock, end - s);
      out.set(this.blocks[index]!.subarray(inBlock, inBlock + n), s - first);
      s += n;
    }
    return out;
  }
}
