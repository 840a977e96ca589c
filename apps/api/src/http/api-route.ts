import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseOrThrow } from './zod-error';

/**
 * One declaration per route: it drives request validation (`@ValidBody`, `@ValidQuery`), authentication, and the
 * OpenAPI document, so the schema in @parley/common is the only source of truth.
 */
export interface RouteSpec {
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  /** Success status, default 200. */
  status?: number;
  /** Other success statuses the route answers with the same body, and when (e.g. 200 for an idempotent create that found it). */
  alsoStatus?: Record<number, string>;
  /** Body content types besides JSON (text/csv, application/x-ndjson): the route reads the upload's stream with @Body(). */
  consumes?: string | string[];
  /** Response content type when not JSON (e.g. audio/wav, text/event-stream). */
  produces?: string;
  /** The operation's id in the OpenAPI document (SDK method names); default `<tag>_<method>`. Unique across the API. */
  operationId?: string;
  /** Routes take an account's API key unless this is false (no key) or `admin` (the platform's PARLEY_ADMIN_TOKEN). */
  auth?: boolean | 'admin';
  /** Extra documented error statuses besides 400/401/404/429. */
  errors?: number[];
  /** What the route's own error codes mean, by status, for the OpenAPI document. */
  errorCodes?: Record<number, string>;
  headers?: Record<string, string>;
}

export const ROUTE_SPEC = 'parley:route-spec';
export const ApiRoute = (spec: RouteSpec) => SetMetadata(ROUTE_SPEC, spec);

export function routeSpecOf(ctx: ExecutionContext): RouteSpec | undefined {
  return Reflect.getMetadata(ROUTE_SPEC, ctx.getHandler()) as RouteSpec | undefined;
}

export interface AuthedRequest extends FastifyRequest {
  accountId?: string;
  apiKeyId?: string;
}

/** The request body parsed with the route's `body` schema. */
export const ValidBody = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const spec = routeSpecOf(ctx);
  const body = ctx.switchToHttp().getRequest<FastifyRequest>().body;
  if (!spec?.body) throw new Error('ValidBody used on a route without a body schema');
  return parseOrThrow(spec.body, body ?? undefined, 'body');
});

/** The query string parsed with the route's `query` schema. */
export const ValidQuery = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const spec = routeSpecOf(ctx);
  if (!spec?.query) throw new Error('ValidQuery used on a route without a query schema');
  return parseOrThrow(spec.query, ctx.switchToHttp().getRequest<FastifyRequest>().query ?? {}, 'query');
});

/** The authenticated account. */
export const AccountId = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const id = ctx.switchToHttp().getRequest<AuthedRequest>().accountId;
  if (!id) throw new Error('AccountId on an unauthenticated route');
  return id;
});
