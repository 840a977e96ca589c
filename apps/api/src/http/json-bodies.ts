import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** CSV imports (do-not-call numbers) may be far larger than a JSON body: 100,000 numbers are about 1.7 MB. */
export const CSV_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * Request bodies are JSON, and CSV (as text) on the routes that import lists: any other content type is a 415 from
 * Fastify (rendered by the exception filter). Fastify parses text/plain and Nest adds a form-urlencoded parser, which
 * would hand the routes strings instead.
 */
export function acceptOnlyJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  // A parser registered through Nest keeps Nest from adding its own (form-urlencoded among them).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (req, body, done) => parseJson(req as Parameters<typeof parseJson>[0], body.toString('utf8'), done));
  app.useBodyParser('text/csv', { bodyLimit: CSV_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body.toString('utf8')));
}
