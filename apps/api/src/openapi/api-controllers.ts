import { AccountController } from '../accounts/account.controller';
import { AgentsController } from '../agents/agents.controller';
import { AsterisksController } from '../asterisks/asterisks.controller';
import { BalanceController } from '../billing/balance.controller';
import { CallsController } from '../calls/calls.controller';
import { TranscriptsController } from '../calls/transcripts.controller';
import { WebCallsController } from '../calls/web-calls.controller';
import { CampaignsController } from '../campaigns/campaigns.controller';
import { DoNotCallController } from '../do-not-call/do-not-call.controller';
import { NumbersController } from '../numbers/numbers.controller';
import { TrunksController } from '../trunks/trunks.controller';
import { CallWebhookDeliveriesController, WebhookDeliveriesController, WebhookEndpointsController } from '../webhook-endpoints/webhook-endpoints.controller';

/** Every controller of the public API, in the order the OpenAPI document lists them. A function, so imports settle first. */
export const API_CONTROLLERS = () => [WebCallsController, CallsController, TranscriptsController, CallWebhookDeliveriesController, AgentsController, NumbersController, TrunksController, BalanceController, AccountController, WebhookEndpointsController, WebhookDeliveriesController, CampaignsController, DoNotCallController, AsterisksController];
