export * from './processes';
export * from './launch';
