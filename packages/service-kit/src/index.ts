export * from './config';
export * from './logger';
export * from './metrics';
export * from './readiness';
export * from './bus';
export * from './service-kit.module';
export * from './bootstrap';
export * from './testing/nats-namespace';
