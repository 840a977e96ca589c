import type { TranscriptRole, TranscriptSegment } from '@parley/common';

/** The call's transcript as it is said: each segment numbered in order and handed on at once. */
export class Transcript {
  readonly segments: TranscriptSegment[] = [];

  constructor(private readonly onSegment: (segment: TranscriptSegment) => void) {}

  /** `model`: for the agent's words, the model that wrote them. */
  add(role: TranscriptRole, text: string, startMs: number, endMs: number, interrupted: boolean, model?: string): void {
    const segment: TranscriptSegment = { index: this.segments.length, role, text, start_ms: Math.max(0, Math.round(startMs)), end_ms: Math.max(0, Math.round(Math.max(startMs, endMs))), interrupted, ...(model ? { model } : {}) };
    this.segments.push(segment);
    this.onSegment(segment);
  }
}
