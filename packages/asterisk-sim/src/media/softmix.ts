import type { SimBridge } from '../ari/channel';
import type { ExternalMediaLeg } from './external-media-leg';

const FRAME_SAMPLES = 320;

/**
 * The audio mixer of softmix bridges (three members or more): what a member's peers say is summed into its next
 * frame, and every ExternalMedia member is sent a mixed frame every 20 ms, silence included.
 */
export class Softmix {
  private readonly mixers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Map<string, Int16Array>();

  constructor(private readonly legs: ReadonlyMap<string, ExternalMediaLeg>) {}

  mixInto(channelId: string, pcm: Int16Array): void {
    const acc = this.pending.get(channelId) ?? new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < Math.min(pcm.length, FRAME_SAMPLES); i++) acc[i] = Math.max(-32768, Math.min(32767, acc[i]! + pcm[i]!));
    this.pending.set(channelId, acc);
  }

  start(bridge: SimBridge): void {
    if (this.mixers.has(bridge.id)) return;
    const start = performance.now();
    let frames = 0;
    const tick = (): void => {
      const now = performance.now();
      while (start + (frames + 1) * 20 <= now + 1) {
        frames++;
        for (const id of bridge.members) {
          const leg = this.legs.get(id);
          if (!leg) continue;
          leg.send(this.pending.get(id) ?? new Int16Array(FRAME_SAMPLES));
          this.pending.delete(id);
        }
      }
      this.mixers.set(bridge.id, setTimeout(tick, Math.max(0, start + (frames + 1) * 20 - performance.now())));
    };
    this.mixers.set(bridge.id, setTimeout(tick, 20));
  }

  stop(bridgeId: string): void {
    clearTimeout(this.mixers.get(bridgeId));
    this.mixers.delete(bridgeId);
  }

  stopAll(): void {
    for (const id of [...this.mixers.keys()]) this.stop(id);
  }
}
