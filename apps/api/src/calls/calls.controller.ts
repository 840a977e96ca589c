import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Call, CallCreate, CallListQuery, ErrorCodes, listOf } from '@parley/common';
import { ApiError } from '../http/api-error';
import { AccountId, ApiRoute, ValidQuery } from '../http/api-route';
import { CallsService } from './calls.service';
import { callView } from './call.view';

@Controller('v1/calls')
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @Post()
  @ApiRoute({
    tag: 'Calls',
    summary: 'Place a call now under an outbound agent',
    body: CallCreate,
    response: Call,
    status: 201,
    errors: [402, 409, 422],
    headers: { 'Idempotency-Key': 'Same key + same body returns the same call; same key + another body is a 409' },
  })
  async create(@AccountId() accountId: string, @Body() body: unknown, @Headers('idempotency-key') idempotencyKey: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw ApiError.invalid('Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key', ErrorCodes.parameterInvalid);
    }
    const input = this.calls.parseCreate(body);
    const { call, replayed } = await this.calls.create(accountId, input, idempotencyKey ?? null);
    void reply.status(201);
    if (replayed) {
      void reply.header('Idempotent-Replayed', 'true');
      return this.calls.view(call);
    }
    return callView(call);
  }

  @Get()
  @ApiRoute({ tag: 'Calls', summary: 'List calls, newest first', query: CallListQuery, response: listOf(Call) })
  async list(@AccountId() accountId: string, @ValidQuery() query: CallListQuery) {
    return this.calls.list(accountId, query);
  }

  @Get(':id')
  @ApiRoute({ tag: 'Calls', summary: 'Get a call', response: Call })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return this.calls.view(await this.calls.get(accountId, id));
  }

  @Post(':id/end')
  @HttpCode(200)
  @ApiRoute({
    tag: 'Calls',
    summary: 'End a call: cancel it if queued, hang it up if live',
    response: Call,
    errors: [409, 503],
    errorCodes: {
      409: '`call_already_ended`',
      503: '`call_owner_unavailable`: no dialer holds the live call right now (its dialer stopped and none took it over within the wait); the call was not ended, retry shortly. `service_unavailable`: the dialer could not hang up.',
    },
  })
  async end(@AccountId() accountId: string, @Param('id') id: string) {
    return this.calls.view(await this.calls.end(accountId, id));
  }
}
