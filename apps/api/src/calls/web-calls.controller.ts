import { Body, Controller, Delete, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { WebCallCreate, WebCallCreated } from '@parley/common';
import { AccountId, ApiRoute } from '../http/api-route';
import { CallsService } from './calls.service';
import { WebCallsService } from './web-calls.service';

@Controller('v1/calls/web')
export class WebCallsController {
  constructor(
    private readonly webCalls: WebCallsService,
    private readonly calls: CallsService,
  ) {}

  @Post()
  @ApiRoute({
    tag: 'Calls',
    summary: "Create a web call: a browser talks to the agent over WebRTC; answers with the call and a single-use access token for the page (valid 30 s)",
    body: WebCallCreate,
    response: WebCallCreated,
    status: 201,
    errors: [402],
    operationId: 'web_calls_create',
  })
  @HttpCode(201)
  async create(@AccountId() accountId: string, @Body() body: unknown) {
    return this.webCalls.create(accountId, this.calls.parseCreate(body, WebCallCreate));
  }

  /**
   * WHIP-style signalling: the page posts its SDP offer with the access token (no API key) and gets the media
   * process's answer; the call id comes back in the Location header.
   */
  @Post('connect')
  @ApiRoute({
    tag: 'Calls',
    summary: "Connect a web call's browser: POST its SDP offer (application/sdp) with `Authorization: Bearer <access_token>`; 201 with the SDP answer, the session to DELETE at Location, the call id in Parley-Call-Id",
    auth: false,
    consumes: 'application/sdp',
    produces: 'application/sdp',
    status: 201,
    errors: [401, 409, 503],
    operationId: 'web_calls_connect',
  })
  async connect(@Headers('authorization') authorization: string | undefined, @Body() sdp: unknown, @Res() reply: FastifyReply) {
    const answer = await this.webCalls.connect(authorization, sdp);
    void reply.status(201).header('Content-Type', 'application/sdp').header('Location', `/v1/calls/web/sessions/${answer.callId}`).header('Parley-Call-Id', answer.callId).send(answer.sdp);
  }

  /** WHIP's DELETE on the session the connect answered with: the page hangs up. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiRoute({
    tag: 'Calls',
    summary: 'Hang up a web call from its page, with `Authorization: Bearer <access_token>` (the Location that connect answered with)',
    auth: false,
    status: 204,
    errors: [401, 503],
    operationId: 'web_calls_hangup',
  })
  async hangup(@Headers('authorization') authorization: string | undefined, @Param('id') id: string) {
    await this.webCalls.hangup(authorization, id);
  }
}
