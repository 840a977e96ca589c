export { createApiApp } from './server';
export { loadApiConfig, ApiConfigSchema, type ApiConfig } from './config';
