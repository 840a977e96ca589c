import { AccountEntity } from './account.entity';
import { AgentEntity } from './agent.entity';
import { ApiKeyEntity } from './api-key.entity';
import { AsteriskEntity } from './asterisk.entity';
import { CallEventEntity } from './call-event.entity';
import { CallEntity } from './call.entity';
import { CampaignEntity, CampaignRecipientEntity } from './campaign.entity';
import { CreditLedgerEntryEntity } from './credit-ledger-entry.entity';
import { DoNotCallEntity } from './do-not-call.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { OutboxMessageEntity } from './outbox-message.entity';
import { PhoneNumberEntity } from './phone-number.entity';
import { RecordingEntity } from './recording.entity';
import { TranscriptSegmentEntity } from './transcript-segment.entity';
import { TrunkEntity } from './trunk.entity';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export {
  AccountEntity,
  AgentEntity,
  ApiKeyEntity,
  AsteriskEntity,
  CallEventEntity,
  CallEntity,
  CampaignEntity,
  CampaignRecipientEntity,
  CreditLedgerEntryEntity,
  DoNotCallEntity,
  IdempotencyKeyEntity,
  OutboxMessageEntity,
  PhoneNumberEntity,
  RecordingEntity,
  TranscriptSegmentEntity,
  TrunkEntity,
  WebhookDeliveryAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
};

export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  TrunkEntity,
  PhoneNumberEntity,
  AgentEntity,
  CallEntity,
  CallEventEntity,
  TranscriptSegmentEntity,
  RecordingEntity,
  OutboxMessageEntity,
  IdempotencyKeyEntity,
  CreditLedgerEntryEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
  DoNotCallEntity,
  CampaignEntity,
  CampaignRecipientEntity,
  AsteriskEntity,
];
export type { WebhookDeliveryStatus } from '@parley/common';
