import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { apiErrorBody, ErrorCodes } from '@parley/common';
import { LOGGER, type Logger } from '@parley/service-kit';
import { ApiError } from './api-error';

/** Every error leaves the api in one JSON shape with the right status. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const err = this.toApiError(exception);
    if (err.status >= 500) this.logger.error({ err: exception }, 'request failed');
    for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
    void reply.status(err.status).header('Content-Type', 'application/json').send(apiErrorBody(err.status, err.code, err.message, err.param));
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    const fastifyCode = (exception as { code?: string })?.code;
    switch (fastifyCode) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new ApiError(413, ErrorCodes.bodyTooLarge, 'The request body is too large', 'body');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new ApiError(415, ErrorCodes.invalidRequest, 'Send the request body as application/json', 'body');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new ApiError(400, ErrorCodes.invalidJson, 'The request body is empty but Content-Type is application/json', 'body');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return new ApiError(400, ErrorCodes.invalidRequest, 'Invalid Content-Length', 'body');
    }
    if (exception instanceof SyntaxError || (exception as { statusCode?: number })?.statusCode === 400) {
      return new ApiError(400, ErrorCodes.invalidJson, `The request body is not valid JSON: ${(exception as Error).message}`, 'body');
    }
    if (exception instanceof HttpException) {
      // Fastify's body-parser errors reach here wrapped by Nest, with their status kept.
      const status = exception.getStatus();
      switch (status) {
        case 404:
          return new ApiError(404, ErrorCodes.routeNotFound, 'Unknown route');
        case 413:
          return new ApiError(413, ErrorCodes.bodyTooLarge, 'The request body is too large', 'body');
        case 415:
          return new ApiError(415, ErrorCodes.invalidRequest, 'Send the request body as application/json', 'body');
        case 400:
          return new ApiError(400, ErrorCodes.invalidJson, `The request body is not valid JSON: ${exception.message}`, 'body');
      }
      return new ApiError(status, status < 500 ? ErrorCodes.invalidRequest : ErrorCodes.internal, exception.message);
    }
    return new ApiError(500, ErrorCodes.internal, 'Internal error');
  }
}
