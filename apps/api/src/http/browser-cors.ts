import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The routes a web page calls itself (a web call's connect and hang-up), with the call's access token and never a
 * cookie or an API key: open to any origin, so the customer's own site can host the page. Every other route stays
 * same-origin (browsers refuse them cross-origin), which keeps API keys off pages.
 */
const BROWSER_ROUTES = /^\/v1\/calls\/web\/(connect|sessions\/[^/?]+)(\?.*)?$/;

const HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-expose-headers': 'location, parley-call-id',
  'access-control-max-age': '600',
};

export function allowBrowserRoutes(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!BROWSER_ROUTES.test(req.url)) return done();
    void reply.headers(HEADERS);
    // A preflight is answered here, before routing and authentication.
    if (req.method === 'OPTIONS') return void reply.status(204).send();
    done();
  });
}
