import type { paths } from './generated/openapi.js';

/** The JSON an operation answers with `status`. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;
/** The JSON body an operation takes. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;
/** The query an operation takes. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

type Item<L> = L extends { data: Array<infer T> } ? T : never;

export type Call = ResponseOf<'/v1/calls/{id}', 'get'>;
export type CallCreateParams = BodyOf<'/v1/calls', 'post'>;
export type CallListParams = QueryOf<'/v1/calls', 'get'>;
export type WebCallCreateParams = BodyOf<'/v1/calls/web', 'post'>;
export type WebCall = ResponseOf<'/v1/calls/web', 'post', 201>;
export type Transcript = ResponseOf<'/v1/calls/{id}/transcript', 'get'>;
export type TranscriptSegment = Transcript['segments'][number];
export type CallTimeline = ResponseOf<'/v1/calls/{id}/events', 'get'>;
export type Agent = ResponseOf<'/v1/agents/{id}', 'get'>;
export type AgentCreateParams = BodyOf<'/v1/agents', 'post'>;
export type AgentUpdateParams = BodyOf<'/v1/agents/{id}', 'patch'>;
export type PhoneNumber = ResponseOf<'/v1/numbers/{id}', 'get'>;
export type PhoneNumberCreateParams = BodyOf<'/v1/numbers', 'post'>;
export type PhoneNumberUpdateParams = BodyOf<'/v1/numbers/{id}', 'patch'>;
export type Trunk = ResponseOf<'/v1/trunks/{id}', 'get'>;
export type TrunkCreateParams = BodyOf<'/v1/trunks', 'post'>;
export type TrunkUpdateParams = BodyOf<'/v1/trunks/{id}', 'patch'>;
export type Balance = ResponseOf<'/v1/balance', 'get'>;
export type LedgerEntry = Item<ResponseOf<'/v1/credit_ledger', 'get'>>;
export type Account = ResponseOf<'/v1/account', 'get'>;
export type WebhookEndpoint = ResponseOf<'/v1/webhook_endpoints/{id}', 'get'>;
/** An endpoint as created or rotated: with its signing `secret`, shown then only. */
export type WebhookEndpointWithSecret = ResponseOf<'/v1/webhook_endpoints', 'post', 201>;
export type WebhookEndpointCreateParams = BodyOf<'/v1/webhook_endpoints', 'post'>;
export type WebhookEndpointUpdateParams = BodyOf<'/v1/webhook_endpoints/{id}', 'patch'>;
export type WebhookDelivery = ResponseOf<'/v1/webhook_deliveries/{id}', 'get'>;
export type Campaign = ResponseOf<'/v1/campaigns/{id}', 'get'>;
export type CampaignCreateParams = BodyOf<'/v1/campaigns', 'post'>;
export type CampaignUpdateParams = BodyOf<'/v1/campaigns/{id}', 'patch'>;
export type CampaignRecipient = Item<ResponseOf<'/v1/campaigns/{id}/recipients', 'get'>>;
export type RecipientsUpload = ResponseOf<'/v1/campaigns/{id}/recipients', 'post'>;
export type DoNotCallEntry = ResponseOf<'/v1/do_not_call/{number}', 'get'>;
export type DoNotCallImport = ResponseOf<'/v1/do_not_call/import', 'post'>;
export type Deleted = ResponseOf<'/v1/agents/{id}', 'delete'>;
