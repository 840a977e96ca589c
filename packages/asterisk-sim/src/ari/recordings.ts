import { encodeWav } from '@parley/audio';
import type { AriEventPayload, LiveRecording, StoredRecording } from '@parley/ari-client';
import { concatPcm } from '../media/pcm';
import { AriHttpError } from './errors';

type Emit = (payload: AriEventPayload) => void;

interface LiveEntry {
  name: string;
  format: string;
  target: string;
  state: 'queued' | 'recording' | 'done' | 'canceled';
  startedAt: number;
  chunks: Int16Array[];
  emit: Emit;
  timer?: NodeJS.Timeout;
}

/**
 * Live and stored recordings. A channel recording captures the audio the channel sends
 * into Asterisk; a bridge recording captures everything that flows through the bridge.
 * Stored as 16 kHz WAV (only `format=wav` is accepted).
 */
export class RecordingStore {
  private readonly live = new Map<string, LiveEntry>();
  private readonly stored = new Map<string, { name: string; format: string; wav: Buffer }>();

  start(target: string, params: Record<string, unknown>, emit: Emit): LiveRecording {
    const name = params.name === undefined ? '' : String(params.name);
    const format = params.format === undefined ? '' : String(params.format);
    if (!name || !format) throw new AriHttpError(400, { message: 'Invalid parameters: name and format are required' });
    if (format !== 'wav') throw new AriHttpError(422, { message: 'The format specified is unknown on this system' });
    const ifExists = params.ifExists === undefined ? 'fail' : String(params.ifExists);
    if (this.live.has(name) || (this.stored.has(name) && ifExists === 'fail')) {
      throw new AriHttpError(409, { message: 'A recording with the same name already exists on the system' });
    }
    const entry: LiveEntry = { name, format, target, state: 'queued', startedAt: Date.now(), chunks: [], emit };
    this.live.set(name, entry);
    const snapshot = this.snapshot(entry);
    setTimeout(() => {
      if (entry.state !== 'queued') return;
      entry.state = 'recording';
      entry.startedAt = Date.now();
      emit({ type: 'RecordingStarted', recording: this.snapshot(entry) });
    }, 1);
    const max = Number(params.maxDurationSeconds ?? 0);
    if (max > 0) entry.timer = setTimeout(() => this.finish(entry, 'done'), max * 1000);
    return snapshot;
  }

  feed(target: string, pcm: Int16Array): void {
    for (const entry of this.live.values()) if (entry.target === target && entry.state === 'recording') entry.chunks.push(pcm.slice());
  }

  getLive(name: string): LiveRecording {
    return this.snapshot(this.requireLive(name));
  }

  stop(name: string): void {
    this.finish(this.requireLive(name), 'done');
  }

  cancel(name: string): void {
    this.finish(this.requireLive(name), 'canceled');
  }

  stopAllFor(target: string): void {
    for (const entry of [...this.live.values()]) if (entry.target === target) this.finish(entry, 'done');
  }

  listStored(): StoredRecording[] {
    return [...this.stored.values()].map(({ name, format }) => ({ name, format }));
  }

  getStored(name: string): StoredRecording {
    const found = this.stored.get(name);
    if (!found) throw new AriHttpError(404, { message: 'Recording not found' });
    return { name: found.name, format: found.format };
  }

  storedFile(name: string): Buffer {
    const found = this.stored.get(name);
    if (!found) throw new AriHttpError(404, { message: 'Recording not found' });
    return found.wav;
  }

  deleteStored(name: string): void {
    if (!this.stored.delete(name)) throw new AriHttpError(404, { message: 'Recording not found' });
  }

  close(): void {
    for (const entry of this.live.values()) clearTimeout(entry.timer);
    this.live.clear();
  }

  private requireLive(name: string): LiveEntry {
    const entry = this.live.get(name);
    if (!entry) throw new AriHttpError(404, { message: 'Recording not found' });
    return entry;
  }

  private finish(entry: LiveEntry, state: 'done' | 'canceled'): void {
    clearTimeout(entry.timer);
    this.live.delete(entry.name);
    entry.state = state;
    if (state === 'done') {
      this.stored.set(entry.name, { name: entry.name, format: entry.format, wav: encodeWav({ sampleRate: 16000, channels: 1, samples: concatPcm(entry.chunks) }) });
    }
    entry.emit({ type: 'RecordingFinished', recording: this.snapshot(entry) });
  }

  private snapshot(entry: LiveEntry): LiveRecording {
    const duration = entry.state === 'queued' ? 0 : Math.round((Date.now() - entry.startedAt) / 1000);
    return {
      name: entry.name,
      format: entry.format,
      target_uri: entry.target,
      state: entry.state,
      ...(entry.state === 'done' ? { duration, talking_duration: 0, silence_duration: 0 } : {}),
    };
  }
}
