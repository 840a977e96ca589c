import type { Parley, RequestOptions } from './client.js';
import type { Page } from './pagination.js';
import type * as T from './types.js';

type Query = Record<string, unknown>;
const id = (value: string) => encodeURIComponent(value);

abstract class Resource {
  constructor(protected readonly client: Parley) {}
  protected get<R>(path: string, o?: RequestOptions) {
    return this.client.request<R>('GET', path, o);
  }
  protected post<R>(path: string, body?: unknown, o: RequestOptions = {}) {
    return this.client.request<R>('POST', path, { ...o, body });
  }
  protected patch<R>(path: string, body: unknown) {
    return this.client.request<R>('PATCH', path, { body });
  }
  protected del<R>(path: string) {
    return this.client.request<R>('DELETE', path);
  }
}

export class Agents extends Resource {
  create(params: T.AgentCreateParams): Promise<T.Agent> {
    return this.post('/v1/agents', params);
  }
  retrieve(agentId: string): Promise<T.Agent> {
    return this.get(`/v1/agents/${id(agentId)}`);
  }
  list(query: Query = {}): Promise<Page<T.Agent>> {
    return this.client.list('/v1/agents', query);
  }
  update(agentId: string, params: T.AgentUpdateParams): Promise<T.Agent> {
    return this.patch(`/v1/agents/${id(agentId)}`, params);
  }
  delete(agentId: string): Promise<T.Deleted> {
    return this.del(`/v1/agents/${id(agentId)}`);
  }
}

export class Numbers extends Resource {
  create(params: T.PhoneNumberCreateParams): Promise<T.PhoneNumber> {
    return this.post('/v1/numbers', params);
  }
  retrieve(numberId: string): Promise<T.PhoneNumber> {
    return this.get(`/v1/numbers/${id(numberId)}`);
  }
  list(query: Query = {}): Promise<Page<T.PhoneNumber>> {
    return this.client.list('/v1/numbers', query);
  }
  update(numberId: string, params: T.PhoneNumberUpdateParams): Promise<T.PhoneNumber> {
    return this.patch(`/v1/numbers/${id(numberId)}`, params);
  }
  delete(numberId: string): Promise<T.Deleted> {
    return this.del(`/v1/numbers/${id(numberId)}`);
  }
  /** The calls made from or to the number. */
  calls(numberId: string, query: Query = {}): Promise<Page<T.Call>> {
    return this.client.list(`/v1/numbers/${id(numberId)}/calls`, query);
  }
}

export class Trunks extends Resource {
  create(params: T.TrunkCreateParams): Promise<T.Trunk> {
    return this.post('/v1/trunks', params);
  }
  retrieve(trunkId: string): Promise<T.Trunk> {
    return this.get(`/v1/trunks/${id(trunkId)}`);
  }
  list(query: Query = {}): Promise<Page<T.Trunk>> {
    return this.client.list('/v1/trunks', query);
  }
  update(trunkId: string, params: T.TrunkUpdateParams): Promise<T.Trunk> {
    return this.patch(`/v1/trunks/${id(trunkId)}`, params);
  }
  delete(trunkId: string): Promise<T.Deleted> {
    return this.del(`/v1/trunks/${id(trunkId)}`);
  }
}

export class Calls extends Resource {
  /** Places a call now; the same idempotencyKey with the same params gives back the same call. */
  create(params: T.CallCreateParams, options: { idempotencyKey?: string } = {}): Promise<T.Call> {
    return this.post('/v1/calls', params, options);
  }
  /** A web call: the call and its single-use access token for the page (@parley/web). */
  createWeb(params: T.WebCallCreateParams): Promise<T.WebCall> {
    return this.post('/v1/calls/web', params);
  }
  retrieve(callId: string): Promise<T.Call> {
    return this.get(`/v1/calls/${id(callId)}`);
  }
  list(query: T.CallListParams | Query = {}): Promise<Page<T.Call>> {
    return this.client.list('/v1/calls', query as Query);
  }
  /** Hangs up (or cancels a call not yet dialed). */
  end(callId: string): Promise<T.Call> {
    return this.post(`/v1/calls/${id(callId)}/end`);
  }
  transcript(callId: string): Promise<T.Transcript> {
    return this.get(`/v1/calls/${id(callId)}/transcript`);
  }
  /** The call's recorded events, oldest first. */
  events(callId: string): Promise<T.CallTimeline> {
    return this.get(`/v1/calls/${id(callId)}/events`);
  }
  /** The call's webhook deliveries (its webhook_url's and every endpoint's about it), newest first, with their attempts. */
  webhookDeliveries(callId: string, query: Query = {}): Promise<Page<T.WebhookDelivery>> {
    return this.client.list(`/v1/calls/${id(callId)}/webhook_deliveries`, query);
  }
  /** The recording (WAV, caller left, agent right). */
  recording(callId: string): Promise<ArrayBuffer> {
    return this.get(`/v1/calls/${id(callId)}/recording`, { as: 'bytes' });
  }
  /**
   * The live transcript: every segment so far, then each as it is said, until the call ends. `signal` stops it early
   * (the connection closes; the loop throws the signal's reason).
   */
  async *streamTranscript(callId: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<T.TranscriptSegment> {
    const res = await this.get<Response>(`/v1/calls/${id(callId)}/transcript/stream`, { as: 'response', signal: options.signal });
    for await (const event of serverSentEvents(res)) {
      if (event.event === 'segment') yield JSON.parse(event.data) as T.TranscriptSegment;
      else if (event.event === 'end') return;
    }
  }
}

export class Campaigns extends Resource {
  create(params: T.CampaignCreateParams): Promise<T.Campaign> {
    return this.post('/v1/campaigns', params);
  }
  retrieve(campaignId: string): Promise<T.Campaign> {
    return this.get(`/v1/campaigns/${id(campaignId)}`);
  }
  list(query: Query = {}): Promise<Page<T.Campaign>> {
    return this.client.list('/v1/campaigns', query);
  }
  update(campaignId: string, params: T.CampaignUpdateParams): Promise<T.Campaign> {
    return this.patch(`/v1/campaigns/${id(campaignId)}`, params);
  }
  /** Recipients as objects (JSON), or a CSV or NDJSON text of any length. */
  addRecipients(campaignId: string, recipients: Array<Record<string, unknown>> | { csv: string } | { ndjson: string }): Promise<T.RecipientsUpload> {
    const path = `/v1/campaigns/${id(campaignId)}/recipients`;
    if (Array.isArray(recipients)) return this.post(path, recipients);
    const content = 'csv' in recipients ? { type: 'text/csv', data: recipients.csv } : { type: 'application/x-ndjson', data: recipients.ndjson };
    return this.client.request('POST', path, { content });
  }
  recipients(campaignId: string, query: Query = {}): Promise<Page<T.CampaignRecipient>> {
    return this.client.list(`/v1/campaigns/${id(campaignId)}/recipients`, query);
  }
  /** The recipients with their outcomes and the results' fields, as CSV text. */
  exportCsv(campaignId: string): Promise<string> {
    return this.get(`/v1/campaigns/${id(campaignId)}/recipients.csv`, { as: 'text' });
  }
  start(campaignId: string): Promise<T.Campaign> {
    return this.post(`/v1/campaigns/${id(campaignId)}/start`);
  }
  pause(campaignId: string): Promise<T.Campaign> {
    return this.post(`/v1/campaigns/${id(campaignId)}/pause`);
  }
  resume(campaignId: string): Promise<T.Campaign> {
    return this.post(`/v1/campaigns/${id(campaignId)}/resume`);
  }
  cancel(campaignId: string): Promise<T.Campaign> {
    return this.post(`/v1/campaigns/${id(campaignId)}/cancel`);
  }
}

export class DoNotCall extends Resource {
  add(params: { number: string; reason?: string }): Promise<T.DoNotCallEntry> {
    return this.post('/v1/do_not_call', params);
  }
  retrieve(number: string): Promise<T.DoNotCallEntry> {
    return this.get(`/v1/do_not_call/${id(number)}`);
  }
  list(query: Query = {}): Promise<Page<T.DoNotCallEntry>> {
    return this.client.list('/v1/do_not_call', query, (entry) => String(entry.number));
  }
  remove(number: string): Promise<T.Deleted> {
    return this.del(`/v1/do_not_call/${id(number)}`);
  }
  importCsv(csv: string): Promise<T.DoNotCallImport> {
    return this.client.request('POST', '/v1/do_not_call/import', { content: { type: 'text/csv', data: csv } });
  }
}

export class WebhookEndpoints extends Resource {
  /** The endpoint with its signing `secret` (shown here and by rotateSecret only). */
  create(params: T.WebhookEndpointCreateParams): Promise<T.WebhookEndpointWithSecret> {
    return this.post('/v1/webhook_endpoints', params);
  }
  retrieve(endpointId: string): Promise<T.WebhookEndpoint> {
    return this.get(`/v1/webhook_endpoints/${id(endpointId)}`);
  }
  list(query: Query = {}): Promise<Page<T.WebhookEndpoint>> {
    return this.client.list('/v1/webhook_endpoints', query);
  }
  update(endpointId: string, params: T.WebhookEndpointUpdateParams): Promise<T.WebhookEndpoint> {
    return this.patch(`/v1/webhook_endpoints/${id(endpointId)}`, params);
  }
  delete(endpointId: string): Promise<T.Deleted> {
    return this.del(`/v1/webhook_endpoints/${id(endpointId)}`);
  }
  /** A new secret (in the answer); the previous one keeps signing beside it for `expire_previous_in_seconds` (default a day). */
  rotateSecret(endpointId: string, params: { expire_previous_in_seconds?: number } = {}): Promise<T.WebhookEndpointWithSecret> {
    return this.post(`/v1/webhook_endpoints/${id(endpointId)}/rotate_secret`, params);
  }
  /** Sends a signed `webhook.test` event to the endpoint. */
  test(endpointId: string): Promise<T.WebhookDelivery> {
    return this.post(`/v1/webhook_endpoints/${id(endpointId)}/test`);
  }
  deliveries(endpointId: string, query: Query = {}): Promise<Page<T.WebhookDelivery>> {
    return this.client.list(`/v1/webhook_endpoints/${id(endpointId)}/deliveries`, query);
  }
}

export class WebhookDeliveries extends Resource {
  retrieve(deliveryId: string): Promise<T.WebhookDelivery> {
    return this.get(`/v1/webhook_deliveries/${id(deliveryId)}`);
  }
  retry(deliveryId: string): Promise<T.WebhookDelivery> {
    return this.post(`/v1/webhook_deliveries/${id(deliveryId)}/retry`);
  }
}

export class Balance extends Resource {
  retrieve(): Promise<T.Balance> {
    return this.get('/v1/balance');
  }
}

export class CreditLedger extends Resource {
  list(query: Query = {}): Promise<Page<T.LedgerEntry>> {
    return this.client.list('/v1/credit_ledger', query);
  }
}

export class Account extends Resource {
  retrieve(): Promise<T.Account> {
    return this.get('/v1/account');
  }
}

/** The events of a text/event-stream answer. */
async function* serverSentEvents(res: Response): AsyncGenerator<{ event: string; data: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
