import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { apiErrorBody } from '@parley/common';
import { z } from 'zod';
import { ROUTE_SPEC, type RouteSpec } from '../http/api-route';

const ErrorBody = z.object({
  error: z.object({ type: z.string(), code: z.string(), message: z.string(), param: z.string().nullable() }),
});

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request (parameters, JSON body, URL or HTTP framing)',
  401: 'Missing, unknown or revoked API key',
  402: 'Insufficient credit',
  404: 'Not found (or not in this account)',
  408: 'The request did not arrive in time',
  409: 'Conflict',
  413: 'Body too large',
  414: 'A path parameter is too long',
  415: 'The body is not application/json',
  422: 'Unprocessable',
  429: 'Rate limited (see Retry-After)',
  431: 'The URL or the headers are too large',
  500: 'Internal error',
  503: 'A service the request needs is unavailable',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output') {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
}

/** Builds the OpenAPI 3.1 document from the routes' `@ApiRoute` declarations: the zod schemas are the source. */
/** The route's operationId, unique across the document: a second route with the same one is a programming error. */
function operationIdOf(operationIds: Map<string, string>, spec: { tag: string; operationId?: string }, name: string, route: string): string {
  const id = spec.operationId ?? `${spec.tag.toLowerCase().replace(/\W+/g, '_')}_${name}`;
  const taken = operationIds.get(id);
  if (taken && taken !== route) throw new Error(`operationId ${id} names both ${taken} and ${route}: give one an operationId of its own in @ApiRoute`);
  operationIds.set(id, route);
  return id;
}

export function buildOpenApiDocument(controllers: Array<new (...args: never[]) => unknown>, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Map<string, string>();
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name] as object;
      const spec = typeof handler === 'function' ? (Reflect.getMetadata(ROUTE_SPEC, handler) as RouteSpec | undefined) : undefined;
      if (!spec) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]!.toLowerCase();
      const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
      const params: unknown[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      if (spec.query) {
        const q = jsonSchema(spec.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
        for (const [pname, pschema] of Object.entries(q.properties ?? {})) params.push({ name: pname, in: 'query', required: q.required?.includes(pname) ?? false, schema: pschema });
      }
      for (const [h, description] of Object.entries(spec.headers ?? {})) params.push({ name: h, in: 'header', required: false, description, schema: { type: 'string' } });
      const status = String(spec.status ?? 200);
      const responses: Record<string, unknown> = {
        [status]: spec.produces
          ? { description: 'OK', content: { [spec.produces]: {} } }
          : { description: 'OK', content: spec.response ? { 'application/json': { schema: jsonSchema(spec.response, 'output') } } : undefined },
      };
      for (const [s, description] of Object.entries(spec.alsoStatus ?? {})) responses[s] = { ...(responses[status] as object), description };
      // What any request can meet (framing, URL and header limits, a failure), then what depends on the route.
      const errorStatuses = new Set([
        400, 408, 414, 431, 500,
        ...(spec.auth === false ? [] : [401, 429]),
        // an id in the path, or one in the body (a trunk, an agent, numbers) that names nothing in this account
        ...(path.includes('{') || spec.body ? [404] : []),
        ...(method === 'get' ? [] : [413, 415]),
        ...(spec.errors ?? []),
      ]);
      for (const s of [...errorStatuses].sort()) {
        const description = [STATUS_TEXT[s] ?? 'Error', spec.errorCodes?.[s]].filter(Boolean).join(': ');
        responses[String(s)] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      }
      paths[path] ??= {};
      paths[path][method] = {
        tags: [spec.tag],
        summary: spec.summary,
        operationId: operationIdOf(operationIds, spec, name, `${method.toUpperCase()} ${path}`),
        security: spec.auth === false ? [] : spec.auth === 'admin' ? [{ adminToken: [] }] : [{ apiKey: [] }],
        parameters: params.length ? params : undefined,
        requestBody:
          spec.body || spec.consumes
            ? {
                required: true,
                content: {
                  ...(spec.body ? { 'application/json': { schema: jsonSchema(spec.body, 'input') } } : {}),
                  ...Object.fromEntries([spec.consumes ?? []].flat().map((type) => [type, { schema: { type: 'string' } }])),
                },
              }
            : undefined,
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version,
      license: { name: 'Proprietary: licensed to the customer running this install', identifier: 'LicenseRef-Parley' },
      description: 'Self-hosted AI phone calls over your own SIP trunks. Every error has the shape ' + JSON.stringify(apiErrorBody(400, 'parameter_invalid', '...', 'to')),
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: sk_live_...' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The platform admin token (PARLEY_ADMIN_TOKEN), for /v1/admin routes only' },
      },
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
    },
    paths,
  };
}
