import { randomUUID } from 'node:crypto';
import type { AriEventPayload, Playback } from '@parley/ari-client';
import { AriHttpError } from './errors';

type Emit = (payload: AriEventPayload) => void;

interface Entry {
  playback: Playback;
  timer?: NodeJS.Timeout;
  emit: Emit;
}

/**
 * Playbacks go through their ARI lifecycle (queued -> playing -> done, with PlaybackStarted
 * and PlaybackFinished) but carry no audio: the simulator has no sound files.
 * `silence/N` lasts N seconds, everything else one second.
 */
export class PlaybackStore {
  private readonly playbacks = new Map<string, Entry>();

  start(targetUri: string, params: Record<string, unknown>, emit: Emit, idFromPath?: string): Playback {
    const media = params.media === undefined ? '' : String(params.media);
    if (!media) throw new AriHttpError(400, { message: 'media is required' });
    const id = idFromPath ?? (params.playbackId === undefined ? randomUUID() : String(params.playbackId));
    if (this.playbacks.has(id)) throw new AriHttpError(409, { message: 'A playback with this id already exists' });
    const uris = media.split(',');
    const playback: Playback = { id, media_uri: uris[0]!, target_uri: targetUri, language: String(params.lang ?? 'en'), state: 'queued' };
    const entry: Entry = { playback, emit };
    this.playbacks.set(id, entry);
    const snapshot = { ...playback };
    setTimeout(() => {
      if (playback.state !== 'queued') return;
      playback.state = 'playing';
      emit({ type: 'PlaybackStarted', playback: { ...playback } });
      const total = uris.reduce((ms, uri) => ms + durationOf(uri), 0);
      entry.timer = setTimeout(() => this.finish(id), total);
    }, 1);
    return snapshot;
  }

  get(id: string): Playback {
    const entry = this.playbacks.get(id);
    if (!entry) throw new AriHttpError(404, { message: 'Playback not found' });
    return { ...entry.playback };
  }

  stop(id: string): void {
    if (!this.playbacks.has(id)) throw new AriHttpError(404, { message: 'Playback not found' });
    this.finish(id);
  }

  stopAllFor(targetUri: string): void {
    for (const [id, entry] of this.playbacks) if (entry.playback.target_uri === targetUri) this.finish(id);
  }

  close(): void {
    for (const entry of this.playbacks.values()) clearTimeout(entry.timer);
    this.playbacks.clear();
  }

  private finish(id: string): void {
    const entry = this.playbacks.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.playbacks.delete(id);
    entry.playback.state = 'done';
    entry.emit({ type: 'PlaybackFinished', playback: { ...entry.playback } });
  }
}

function durationOf(uri: string): number {
  const silence = /^sound:silence\/(\d+)$/.exec(uri);
  return silence ? Number(silence[1]) * 1000 : 1000;
}
