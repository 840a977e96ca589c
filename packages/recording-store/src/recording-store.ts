import type { Readable } from 'node:stream';
import type { RecordingStoreKind } from '@parley/common';

export { RECORDING_STORES, type RecordingStoreKind } from '@parley/common';

/**
 * Where one recording is kept, as its row in `recordings` says: a file under the recordings directory (`path` relative
 * to it, as media has always written it) or an object (`bucket` and `path` its key). Self-describing, so an api on
 * another machine finds it whatever its own default store is.
 */
export interface RecordingLocation {
  store: RecordingStoreKind;
  /** The object's bucket; null on local disk. */
  bucket: string | null;
  /** The file's path under the recordings directory, or the object's key. */
  path: string;
}

/** Inclusive byte offsets, as HTTP ranges count. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A recording's bytes (all of them, or one range), streamed from the store. */
export interface RecordingBody {
  stream: Readable;
  /** The recording's whole size. */
  size: number;
  /** The part streamed, when a range was asked for. */
  range: ByteRange | null;
}

/** Where recordings go once finished, and where the api reads them from. One implementation per kind of storage. */
export interface RecordingStore {
  readonly kind: RecordingStoreKind;
  /** Where the recording of this call goes in this store. */
  locationOf(call: { callId: string; accountId: string }): RecordingLocation;
  /** Stores a finished file at `location`; resolves once the store holds all of it (its size checked). */
  put(file: string, location: RecordingLocation): Promise<void>;
  /** The recording's size, or null if the store has no such recording. */
  size(location: RecordingLocation): Promise<number | null>;
  /** Streams the recording (or `range` of it); null if the store has no such recording. */
  open(location: RecordingLocation, range?: ByteRange): Promise<RecordingBody | null>;
  /** Removes the recording; done if it was not there. */
  delete(location: RecordingLocation): Promise<void>;
  /** Lets go of connections. */
  close(): void;
}

/** The recording file's name: the same on local disk, in the spool and at the end of an object key. */
export function recordingFileName(callId: string): string {
  return `${callId}.wav`;
}
