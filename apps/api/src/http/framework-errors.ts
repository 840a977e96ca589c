import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { apiErrorBody, ErrorCodes } from '@parley/common';

/**
 * Path ids up to this length reach the application (and get its 404); longer ones are a 414. Every id the api issues
 * is far shorter, and the URL as a whole is bounded by Node's header size limit (431).
 */
export const MAX_PATH_PARAM_LENGTH = 2048;

function frameworkError(error: { code?: string }): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, code: ErrorCodes.uriTooLong, message: `A path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters` };
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: ErrorCodes.invalidUrl, message: 'The URL path is not valid percent-encoded UTF-8' };
    default:
      return { status: 400, code: ErrorCodes.invalidRequest, message: 'The request cannot be routed' };
  }
}

function clientError(error: { code?: string }): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: ErrorCodes.headersTooLarge, message: 'The request line and headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: ErrorCodes.requestTimeout, message: 'The request took too long to arrive' };
    default:
      return { status: 400, code: ErrorCodes.invalidRequest, message: 'The request is not valid HTTP' };
  }
}

/**
 * Fastify options that make the errors Fastify and Node's HTTP parser answer on their own (before Nest and its
 * exception filter see the request) come out in the api's one error shape.
 */
export const apiFrameworkErrorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'routerOptions'> = {
  routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
  frameworkErrors(error: Error & { code?: string }, _req: FastifyRequest, reply: FastifyReply) {
    const { status, code, message } = frameworkError(error);
    void reply.status(status).header('Content-Type', 'application/json').send(apiErrorBody(status, code, message));
  },
  clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, code, message } = clientError(error);
    const body = JSON.stringify(apiErrorBody(status, code, message));
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy(error);
  },
};
