export * from './g711';
export * from './g722';
export * from './rtp';
export * from './signal';
export * from './wav';
export * from './resample';
export * from './codec';
export * from './jitter-buffer';
