import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiFrameworkErrorOptions } from './framework-errors';

type ClientErrorHandler = NonNullable<typeof apiFrameworkErrorOptions.clientErrorHandler>;

/** What the handler writes on a socket, parsed back into status and JSON body. */
function answerTo(code: string): { status: number; body: any; destroyed: boolean } {
  let written = '';
  let destroyed = false;
  const socket = { destroyed: false, writable: true, write: (s: string) => (written += s), destroy: () => (destroyed = true) } as unknown as Socket;
  const error = Object.assign(new Error(code), { code }) as unknown as Parameters<ClientErrorHandler>[0];
  apiFrameworkErrorOptions.clientErrorHandler!.call(undefined as never, error, socket);
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(written)?.[1]), body: written ? JSON.parse(written.slice(written.indexOf('\r\n\r\n') + 4)) : null, destroyed };
}

describe('errors Node answers before Fastify routes a request', () => {
  it('answers a request that did not arrive in time with 408 request_timeout in the error shape', () => {
    expect(answerTo('ERR_HTTP_REQUEST_TIMEOUT')).toEqual({
      status: 408,
      body: { error: { type: 'invalid_request_error', code: 'request_timeout', message: expect.any(String), param: null } },
      destroyed: true,
    });
  });

  it('writes nothing on a connection the client reset', () => {
    expect(answerTo('ECONNRESET')).toEqual({ status: NaN, body: null, destroyed: false });
  });
});
