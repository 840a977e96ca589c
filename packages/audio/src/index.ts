// Codecs
export * from './g711';
export * from './g722';
export * from './codec';
// RTP transport
export * from './rtp';
export * from './jitter-buffer';
export * from './pacer';
export * from './frame-clock';
// PCM processing and files
export * from './resample';
export * from './signal';
export * from './wav';
export * from './rtp-engine';
