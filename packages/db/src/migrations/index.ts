import { InitialSchema1732406400000 } from './1732406400000-initial-schema';
import { DialerTables1763942400000 } from './1763942400000-dialer-tables';
import { Webhooks1763960000000 } from './1763960000000-webhooks';
import { ConfigChangeNotifications1763980000000 } from './1763980000000-config-change-notifications';
import { WebhookDeliveryRetention1764700000000 } from './1764700000000-webhook-delivery-retention';
import { WebhookSecretRotation1764710000000 } from './1764710000000-webhook-secret-rotation';
import { DialerLeases1764820000000 } from './1764820000000-dialer-leases';
import { SecretsAtRest1764810000000 } from './1764810000000-secrets-at-rest';
import { NumbersPerTrunk1764800000000 } from './1764800000000-numbers-per-trunk';
import { SegmentModel1764825000000 } from './1764825000000-segment-model';
import { AgentConversation1764826000000 } from './1764826000000-agent-conversation';
import { DoNotCall1764827000000 } from './1764827000000-do-not-call';
import { Campaigns1764828000000 } from './1764828000000-campaigns';
import { WebCalls1764829000000 } from './1764829000000-web-calls';
import { TrunkStates1764830000000 } from './1764830000000-trunk-states';
import { ApiRateBuckets1764831000000 } from './1764831000000-api-rate-buckets';
import { WebCallHolders1764834000000 } from './1764834000000-web-call-holders';
import { RecordingLocations1764839000000 } from './1764839000000-recording-locations';
import { Asterisks1764840000000 } from './1764840000000-asterisks';

/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS = [InitialSchema1732406400000, DialerTables1763942400000, Webhooks1763960000000, ConfigChangeNotifications1763980000000, WebhookDeliveryRetention1764700000000, WebhookSecretRotation1764710000000, NumbersPerTrunk1764800000000, SecretsAtRest1764810000000, DialerLeases1764820000000, SegmentModel1764825000000, AgentConversation1764826000000, DoNotCall1764827000000, Campaigns1764828000000, WebCalls1764829000000, TrunkStates1764830000000, ApiRateBuckets1764831000000, WebCallHolders1764834000000, RecordingLocations1764839000000, Asterisks1764840000000];
