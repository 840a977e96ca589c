import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { listOf, Pagination, WebhookDelivery, WebhookDeliveryListQuery, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate, WebhookEndpointWithSecret, WebhookSecretRotate } from '@parley/common';
import { z } from 'zod';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { webhookDeliveryView, webhookEndpointView } from './webhook-endpoint.view';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { CallsService } from '../calls/calls.service';

const Deleted = z.object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) });
const TAG = 'Webhook endpoints';

@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: TAG, summary: 'Create a webhook endpoint (the signing secret is shown once, here)', body: WebhookEndpointCreate, response: WebhookEndpointWithSecret, status: 201 })
  async create(@AccountId() accountId: string, @ValidBody() body: WebhookEndpointCreate) {
    const { endpoint, secret } = await this.endpoints.create(accountId, body);
    return webhookEndpointView(endpoint, { secret });
  }

  @Get()
  @ApiRoute({ tag: TAG, summary: 'List webhook endpoints', query: Pagination, response: listOf(WebhookEndpoint) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.endpoints.list(accountId, query);
    return list(page.rows.map((e) => webhookEndpointView(e)), page.hasMore);
  }

  @Get(':id')
  @ApiRoute({ tag: TAG, summary: 'Get a webhook endpoint', response: WebhookEndpoint })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return webhookEndpointView(await this.endpoints.get(accountId, id));
  }

  @Patch(':id')
  @ApiRoute({ tag: TAG, summary: 'Update a webhook endpoint (enabling it clears disabled_reason)', body: WebhookEndpointUpdate, response: WebhookEndpoint })
  async update(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: WebhookEndpointUpdate) {
    return webhookEndpointView(await this.endpoints.update(accountId, id, body));
  }

  @Delete(':id')
  @ApiRoute({ tag: TAG, summary: 'Delete a webhook endpoint and its delivery log', response: Deleted })
  async delete(@AccountId() accountId: string, @Param('id') id: string) {
    await this.endpoints.delete(accountId, id);
    return { id, object: 'webhook_endpoint' as const, deleted: true as const };
  }

  @Post(':id/rotate_secret')
  @HttpCode(200)
  @ApiRoute({
    tag: TAG,
    summary: 'Replace the signing secret; shows the new one. The old one keeps signing beside it for expire_previous_in_seconds (default 24 h; 0: stops at once)',
    body: WebhookSecretRotate,
    response: WebhookEndpointWithSecret,
  })
  async rotateSecret(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: WebhookSecretRotate) {
    const { endpoint, secret } = await this.endpoints.rotateSecret(accountId, id, body.expire_previous_in_seconds);
    return webhookEndpointView(endpoint, { secret });
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiRoute({ tag: TAG, summary: 'Queue a signed `webhook.test` event; its outcome appears in the deliveries', response: WebhookDelivery, status: 202 })
  async test(@AccountId() accountId: string, @Param('id') id: string) {
    const d = await this.endpoints.sendTest(accountId, id);
    return webhookDeliveryView(d.delivery, d.attempts);
  }

  @Get(':id/deliveries')
  @ApiRoute({ tag: TAG, summary: 'List deliveries to the endpoint, newest first, with every attempt (time, status code, latency, error)', query: WebhookDeliveryListQuery, response: listOf(WebhookDelivery) })
  async deliveries(@AccountId() accountId: string, @Param('id') id: string, @ValidQuery() query: WebhookDeliveryListQuery) {
    const page = await this.endpoints.listDeliveries(accountId, id, query);
    return list(page.rows.map((d) => webhookDeliveryView(d.delivery, d.attempts)), page.hasMore);
  }
}

@Controller('v1/webhook_deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Get(':id')
  @ApiRoute({ tag: TAG, summary: 'Get a webhook delivery with its attempts', response: WebhookDelivery, operationId: 'webhook_deliveries_get' })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    const d = await this.endpoints.delivery(accountId, id);
    return webhookDeliveryView(d.delivery, d.attempts);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiRoute({ tag: TAG, summary: 'Send a delivery again now (a failed one gets one more attempt)', response: WebhookDelivery, status: 202, errors: [409], operationId: 'webhook_deliveries_retry' })
  async retry(@AccountId() accountId: string, @Param('id') id: string) {
    const d = await this.endpoints.retry(accountId, id);
    return webhookDeliveryView(d.delivery, d.attempts);
  }
}

/** A call's webhook deliveries: what the call's page shows beside its timeline. */
@Controller('v1/calls')
export class CallWebhookDeliveriesController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly calls: CallsService,
  ) {}

  @Get(':id/webhook_deliveries')
  @ApiRoute({
    tag: 'Calls',
    summary: "List the call's webhook deliveries (its webhook_url's and every endpoint's about it), newest first, with every attempt",
    query: WebhookDeliveryListQuery,
    response: listOf(WebhookDelivery),
    operationId: 'calls_webhook_deliveries',
  })
  async list(@AccountId() accountId: string, @Param('id') id: string, @ValidQuery() query: WebhookDeliveryListQuery) {
    await this.calls.get(accountId, id);
    const page = await this.endpoints.listCallDeliveries(accountId, id, query);
    return list(page.rows.map((d) => webhookDeliveryView(d.delivery, d.attempts)), page.hasMore);
  }
}
