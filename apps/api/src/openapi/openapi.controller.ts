import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../http/api-error';
import { ApiRoute } from '../http/api-route';
import { API_CONTROLLERS } from './api-controllers';
import { buildOpenApiDocument } from './openapi-document';

const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
};

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

@Controller()
export class OpenApiController {
  private document: unknown = null;

  @Get('v1/openapi.json')
  @ApiRoute({ tag: 'Meta', summary: 'This OpenAPI document', auth: false })
  openapi() {
    this.document ??= buildOpenApiDocument(API_CONTROLLERS(), '1.0.0');
    return this.document;
  }

  /** Swagger UI served from the installed swagger-ui-dist package (nothing is loaded from the internet). */
  @Get('docs')
  docs(@Res() reply: FastifyReply) {
    void reply.header('Content-Type', 'text/html; charset=utf-8').send(DOCS_HTML);
  }

  @Get('docs/assets/:file')
  async asset(@Param('file') file: string, @Res() reply: FastifyReply) {
    const type = SWAGGER_FILES[file];
    if (!type) throw new ApiError(404, 'resource_not_found', 'No such asset');
    const dir = require('swagger-ui-dist').getAbsoluteFSPath() as string;
    void reply.header('Content-Type', type).header('Cache-Control', 'public, max-age=86400').send(await readFile(join(dir, file)));
  }
}
