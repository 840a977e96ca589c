// Regenerates both SDKs' types from the API's OpenAPI document: openapi.json (the document, which a test in the api
// compares with the one it serves, so the two cannot drift) and src/generated/openapi.ts (openapi-typescript).
// Run after changing the API: pnpm --filter @parley/api build && pnpm --filter @parley/sdk generate
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = new URL('../../../', import.meta.url).pathname;
const { buildOpenApiDocument } = require(`${root}apps/api/dist/openapi/openapi-document.js`);
const { API_CONTROLLERS } = require(`${root}apps/api/dist/openapi/api-controllers.js`);
// As GET /v1/openapi.json serves it.
const doc = buildOpenApiDocument(API_CONTROLLERS(), '1.0.0');
const json = new URL('../openapi.json', import.meta.url).pathname;
writeFileSync(json, `${JSON.stringify(doc, null, 2)}\n`);
const out = new URL('../src/generated/openapi.ts', import.meta.url).pathname;
execFileSync(new URL('../node_modules/.bin/openapi-typescript', import.meta.url).pathname, [json, '-o', out], { stdio: 'inherit' });
// The Python SDK's models, from the same document (its tests check them against it).
execFileSync('python3', [`${root}sdks/python/scripts/generate.py`, json], { stdio: 'inherit' });
