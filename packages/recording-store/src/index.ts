export * from './recording-store';
export { LocalRecordingStore } from './local-store';
export { S3RecordingStore, type S3StoreSettings } from './s3-store';
export { byteRange } from './byte-range';
export { recordingsEnv, recordingsConfigProblems, createRecordingStore, type RecordingsConfig } from './config';
export { RecordingStores } from './recording-stores';
