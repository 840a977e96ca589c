import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { WebhookEventType } from '@parley/common';
import { CampaignsRepository, WebhookDeliveriesRepository, WebhookEndpointsRepository } from '@parley/db';
import { campaignView } from './campaign.view';

type CampaignEvent = Extract<WebhookEventType, `campaign.${string}`>;

/**
 * Campaign webhooks: `campaign.started`, `campaign.paused` (with why) and `campaign.completed`, the campaign object as
 * data, queued in the webhooks outbox for every enabled endpoint subscribed to the type and for the campaign's own
 * `webhook_url`; the webhooks service signs and sends them like call events (the account's secret for the URL).
 */
@Injectable()
export class CampaignEvents {
  constructor(
    private readonly campaigns: CampaignsRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  /** `once`: an id that makes the event unique (a status change announced by two schedulers is sent once). */
  async announce(accountId: string, campaignId: string, type: CampaignEvent, once?: string): Promise<void> {
    const c = await this.campaigns.get(accountId, campaignId);
    if (!c) return;
    const payload = { type, timestamp: new Date().toISOString(), data: campaignView(c, await this.campaigns.progress(c.id)) };
    const eventId = `${campaignId}:${type}:${once ?? randomBytes(8).toString('hex')}`;
    const targets = (await this.endpoints.enabledTargets(accountId)).filter((e) => (e.events as string[]).includes(type)).map((e) => ({ endpointId: e.id as string | null, url: e.url }));
    if (c.webhookUrl) targets.push({ endpointId: null, url: c.webhookUrl });
    if (targets.length === 0) return;
    await this.deliveries.enqueue(targets.map((t) => ({ id: `msg_${randomBytes(15).toString('base64url')}`, accountId, endpointId: t.endpointId, callId: null, url: t.url, eventType: type, eventId, payload })));
  }
}
