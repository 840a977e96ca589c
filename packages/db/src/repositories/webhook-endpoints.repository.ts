import { WebhookEndpointEntity } from '../entities/webhook-endpoint.entity';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** An endpoint as written: everything but its timestamps (and the rotation fields, empty until a rotation). */
export type NewWebhookEndpoint = Omit<WebhookEndpointEntity, 'createdAt' | 'updatedAt' | 'previousSecret' | 'previousSecretExpiresAt'>;

/** What an update may change on an endpoint (its secrets, sealed, included). */
export type WebhookEndpointPatch = Partial<Omit<WebhookEndpointEntity, 'id' | 'accountId' | 'createdAt' | 'updatedAt'>>;

/** Where an event for the endpoint goes, and which event types it takes. */
export type WebhookEndpointTarget = Pick<WebhookEndpointEntity, 'id' | 'url' | 'events'>;

/** Accounts' webhook endpoints (their deliveries are in WebhookDeliveriesRepository). */
export class WebhookEndpointsRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(WebhookEndpointEntity);
  }

  async create(endpoint: NewWebhookEndpoint): Promise<void> {
    await this.repo.insert(endpoint);
  }

  get(accountId: string, id: string): Promise<WebhookEndpointEntity | null> {
    return this.repo.findOneBy({ id, accountId });
  }

  list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<WebhookEndpointEntity>> {
    return newestFirst(this.repo.createQueryBuilder('e').where('e.account_id = :accountId', { accountId }), 'e', page);
  }

  /** Where a page after this endpoint starts; null when the account has no such endpoint. */
  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] });
  }

  /** Applies the patch and stamps updated_at. */
  async update(accountId: string, id: string, patch: WebhookEndpointPatch): Promise<void> {
    await this.repo.update({ id, accountId }, { ...patch, updatedAt: new Date() });
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.repo.delete({ id, accountId });
  }

  /** The account's enabled endpoints: where its call events fan out to. */
  enabledTargets(accountId: string): Promise<WebhookEndpointTarget[]> {
    return this.repo.find({ where: { accountId, enabled: true }, select: { id: true, url: true, events: true } });
  }

  /** Disabled by the webhooks service (e.g. the endpoint answered 410 Gone), with the reason shown to the account. */
  async disable(id: string, reason: string): Promise<void> {
    await this.repo.update({ id }, { enabled: false, disabledReason: reason, updatedAt: new Date() });
  }
}
