import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ErrorCodes, WEBHOOK_TEST_EVENT_TYPE, type WebhookDeliveryListQuery, type WebhookEndpointCreate, type WebhookEndpointUpdate } from '@parley/common';
import {
  type DeliveryScope,
  SecretBox,
  type WebhookDeliveryEntity,
  WebhookDeliveriesRepository,
  type WebhookEndpointEntity,
  type WebhookEndpointPatch,
  WebhookEndpointsRepository,
} from '@parley/db';
import { newWebhookSecret } from '../accounts/accounts';
import { ApiError } from '../http/api-error';
import { base62 } from '../http/ids';
import { cursorAfter } from '../http/pagination';

const newEndpointId = () => `we_${base62(16)}`;
/** Same shape as the webhooks service's ids: the `webhook-id` header receivers deduplicate on. */
const newDeliveryId = () => `msg_${randomBytes(15).toString('base64url')}`;

/**
 * Account webhook endpoints and their delivery log. Sending is the webhooks service's job: a test event or a retry is
 * a `webhook_deliveries` row made due now, which it picks up from the outbox. Signing secrets are stored sealed
 * (the webhooks service opens them to sign); a new one is answered in plaintext once, beside its endpoint.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secrets: SecretBox,
  ) {}

  async create(accountId: string, input: WebhookEndpointCreate): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
    const id = newEndpointId();
    const secret = newWebhookSecret();
    await this.endpoints.create({ id, accountId, url: input.url, events: input.events, description: input.description, enabled: input.enabled, secret: this.secrets.seal(secret), disabledReason: null });
    return { endpoint: await this.get(accountId, id), secret };
  }

  async get(accountId: string, id: string): Promise<WebhookEndpointEntity> {
    const endpoint = await this.endpoints.get(accountId, id);
    if (!endpoint) throw ApiError.notFound('webhook endpoint', id, 'id');
    return endpoint;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    return this.endpoints.list(accountId, { limit: page.limit, after: await cursorAfter(page.starting_after, (id) => this.endpoints.cursor(accountId, id)) });
  }

  async update(accountId: string, id: string, input: WebhookEndpointUpdate): Promise<WebhookEndpointEntity> {
    await this.get(accountId, id);
    const patch: WebhookEndpointPatch = {};
    if (input.url !== undefined) patch.url = input.url;
    if (input.events !== undefined) patch.events = input.events;
    if (input.description !== undefined) patch.description = input.description;
    if (input.enabled !== undefined) {
      patch.enabled = input.enabled;
      patch.disabledReason = null; // re-enabled, or now disabled by the user rather than by a 410
    }
    if (Object.keys(patch).length > 0) await this.endpoints.update(accountId, id, patch);
    return this.get(accountId, id);
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.get(accountId, id);
    await this.endpoints.delete(accountId, id);
  }

  /** A new secret; the current one keeps signing beside it for `previousForSeconds` (0: not at all). */
  async rotateSecret(accountId: string, id: string, previousForSeconds: number): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
    const current = await this.get(accountId, id);
    const now = new Date();
    const secret = newWebhookSecret();
    await this.endpoints.update(accountId, id, {
      secret: this.secrets.seal(secret),
      previousSecret: previousForSeconds > 0 ? current.secret : null,
      previousSecretExpiresAt: previousForSeconds > 0 ? new Date(now.getTime() + previousForSeconds * 1000) : null,
    });
    return { endpoint: await this.get(accountId, id), secret };
  }

  /** Queues a signed `webhook.test` event for the endpoint (sent even if the endpoint is disabled, to check it before re-enabling). */
  async sendTest(accountId: string, id: string) {
    const endpoint = await this.get(accountId, id);
    const deliveryId = newDeliveryId();
    const payload = {
      type: WEBHOOK_TEST_EVENT_TYPE,
      timestamp: new Date().toISOString(),
      data: { endpoint_id: endpoint.id, message: 'This is a test event from Parley. Verify its signature with your endpoint secret.' },
    };
    await this.deliveries.enqueue([{ id: deliveryId, accountId, endpointId: endpoint.id, callId: null, url: endpoint.url, eventType: WEBHOOK_TEST_EVENT_TYPE, eventId: `test_${base62(16)}`, payload }]);
    return this.delivery(accountId, deliveryId);
  }

  async listDeliveries(accountId: string, endpointId: string, query: WebhookDeliveryListQuery) {
    await this.get(accountId, endpointId);
    return this.deliveriesOf(accountId, { endpointId }, query);
  }

  /** The deliveries about a call (its per-call webhook's and every endpoint's); the call is checked by the caller. */
  listCallDeliveries(accountId: string, callId: string, query: WebhookDeliveryListQuery) {
    return this.deliveriesOf(accountId, { callId }, query);
  }

  private async deliveriesOf(accountId: string, scope: DeliveryScope, query: WebhookDeliveryListQuery) {
    const after = await cursorAfter(query.starting_after, (id) => this.deliveries.cursor(accountId, scope, id));
    const page = await this.deliveries.listFor(accountId, scope, query.status, { limit: query.limit, after });
    return { rows: await this.withAttempts(accountId, page.rows), hasMore: page.hasMore };
  }

  async delivery(accountId: string, id: string) {
    const d = await this.deliveries.get(accountId, id);
    if (!d) throw ApiError.notFound('webhook delivery', id, 'id');
    return (await this.withAttempts(accountId, [d]))[0]!;
  }

  /** Resends one delivery now. A failed one gets one more attempt; a pending one is brought forward. */
  async retry(accountId: string, id: string) {
    const d = await this.delivery(accountId, id);
    if (d.delivery.endpointId) {
      const endpoint = await this.endpoints.get(accountId, d.delivery.endpointId);
      if (endpoint && !endpoint.enabled && d.delivery.eventType !== WEBHOOK_TEST_EVENT_TYPE) {
        throw ApiError.conflict(ErrorCodes.resourceInUse, `Webhook endpoint '${endpoint.id}' is disabled; enable it before retrying its deliveries`, 'id');
      }
    }
    await this.deliveries.makeDue(accountId, id);
    return this.delivery(accountId, id);
  }

  private async withAttempts(accountId: string, rows: WebhookDeliveryEntity[]) {
    const attempts = await this.deliveries.attemptsOf(accountId, rows.map((r) => r.id));
    return rows.map((delivery) => ({ delivery, attempts: attempts.filter((a) => a.deliveryId === delivery.id) }));
  }
}
