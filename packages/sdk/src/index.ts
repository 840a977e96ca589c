export { Parley, type ParleyOptions, type RequestOptions } from './client.js';
export * from './errors.js';
export { Page } from './pagination.js';
export { WebhookVerificationError, Webhooks } from './webhooks.js';
export type * from './types.js';
export type { paths, components } from './generated/openapi.js';
