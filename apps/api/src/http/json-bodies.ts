import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The list uploads' content types: their bodies reach the route as the request's stream, read as it arrives. */
export const LIST_UPLOAD_TYPES = ['text/csv', 'application/x-ndjson'] as const;

/**
 * Request bodies are JSON, and CSV or NDJSON on the routes that import lists (a do-not-call list, a campaign's
 * recipients): those are not parsed here but handed to the route as a stream, which reads them line by line (so a
 * list of 100,000 rows is never held whole; `textLines` caps its size). Any other content type is a 415 from Fastify
 * (rendered by the exception filter). Fastify parses text/plain and Nest adds a form-urlencoded parser, which would
 * hand the routes strings instead.
 */
export function acceptOnlyJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  // A parser registered through Nest keeps Nest from adding its own (form-urlencoded among them).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (req, body, done) => parseJson(req as Parameters<typeof parseJson>[0], body.toString('utf8'), done));
  // A web call's SDP offer (POST /v1/calls/web/connect), as text.
  app.useBodyParser('application/sdp', { bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body.toString('utf8')));
  for (const type of LIST_UPLOAD_TYPES) fastify.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
}
