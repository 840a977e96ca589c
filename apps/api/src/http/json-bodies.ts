import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Request bodies are JSON only: any other content type is a 415 from Fastify (rendered by the exception filter).
 * Fastify parses text/plain and Nest adds a form-urlencoded parser, which would hand the routes strings instead.
 */
export function acceptOnlyJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  // A parser registered through Nest keeps Nest from adding its own (form-urlencoded among them).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (req, body, done) => parseJson(req as Parameters<typeof parseJson>[0], body.toString('utf8'), done));
}
