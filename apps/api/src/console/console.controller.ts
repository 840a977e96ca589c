import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * What the console's page may load: only from here (the API is this origin too); Mantine sets inline styles, the
 * recording plays from a blob: URL, and no page may frame it.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * The web console (apps/console, built by Vite into CONSOLE_DIR), served at /console: its hashed assets for a year,
 * and index.html for every other path under it (the app routes in the browser, so a reload keeps the page).
 */
@Controller('console')
export class ConsoleController {
  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  @Get()
  index(@Res() reply: FastifyReply) {
    return this.page(reply);
  }

  @Get('*')
  async file(@Param('*') rel: string, @Res() reply: FastifyReply) {
    const root = normalize(this.config.CONSOLE_DIR + sep);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) throw new ApiError(404, 'resource_not_found', 'No such file');
    const type = TYPES[extname(file)];
    if (type && (await stat(file).catch(() => null))?.isFile()) {
      const immutable = rel.startsWith('assets/');
      void reply
        .header('Content-Type', type)
        .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .header('X-Content-Type-Options', 'nosniff')
        .send(await readFile(file));
      return;
    }
    // A missing asset is a 404 (a stale page asking for a file a newer build replaced); any other path is a page.
    if (rel.startsWith('assets/') || extname(rel)) throw new ApiError(404, 'resource_not_found', `No console file '${rel}'`);
    return this.page(reply);
  }

  private async page(reply: FastifyReply) {
    const html = await readFile(join(this.config.CONSOLE_DIR, 'index.html')).catch(() => null);
    if (!html) throw new ApiError(404, 'resource_not_found', `The console is not built (no index.html in ${this.config.CONSOLE_DIR}): run 'pnpm build'`);
    void reply
      .header('Content-Type', TYPES['.html']!)
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Frame-Options', 'DENY')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .send(html);
  }
}
