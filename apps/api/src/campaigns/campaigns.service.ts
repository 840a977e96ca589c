import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type Campaign,
  type CampaignCreate,
  type CampaignRecipient,
  type CampaignStatus,
  type CampaignUpdate,
  E164,
  ErrorCodes,
  RecipientInput,
  type RecipientListQuery,
  type RecipientsAdded,
  RecipientsUpload,
} from '@parley/common';
import { AgentsRepository, type CampaignEntity, type CampaignRecipientEntity, CampaignsRepository, type DataSource, DoNotCallRepository, type NewRecipient } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { cleanNumber, type CsvReader, isUploadBody, numberColumn, readCsv, textLines, type UploadBody } from '../http/csv';
import { cursorAfter } from '../http/pagination';
import { isUuid } from '../agents/agents.service';
import { CampaignEvents } from './campaign-events';
import { campaignView } from './campaign.view';
import { outcomesCsv } from './outcomes-csv';

/** Rejected rows an upload lists at most (the count of accepted ones is always exact). */
const MAX_REJECTED_LISTED = 1000;
const INSERT_BATCH = 5000;

/** Which actions move a campaign from which statuses. */
const ACTIONS: Record<'start' | 'pause' | 'resume' | 'cancel', CampaignStatus[]> = {
  start: ['draft'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'running', 'paused'],
};
export type CampaignAction = keyof typeof ACTIONS;

/** Campaigns and their recipients as the API shows and changes them; the scheduler places the calls. */
@Injectable()
export class CampaignsService {
  constructor(
    private readonly campaigns: CampaignsRepository,
    private readonly doNotCall: DoNotCallRepository,
    private readonly agents: AgentsRepository,
    private readonly events: CampaignEvents,
    private readonly contexts: CallContexts,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
  ) {}

  async create(accountId: string, input: CampaignCreate): Promise<CampaignEntity> {
    await this.checkAgent(accountId, input.agent_id, input.from_number);
    const id = randomUUID();
    await this.campaigns.create({
      id,
      accountId,
      name: input.name,
      agentId: input.agent_id,
      fromNumber: input.from_number ?? null,
      status: 'draft',
      pausedReason: null,
      schedule: input.schedule,
      maxConcurrentCalls: input.max_concurrent_calls,
      retry: input.retry,
      webhookUrl: input.webhook_url ?? null,
      metadata: input.metadata,
    });
    return this.get(accountId, id);
  }

  async get(accountId: string, id: string): Promise<CampaignEntity> {
    const c = isUuid(id) ? await this.campaigns.get(accountId, id) : null;
    if (!c) throw ApiError.notFound('campaign', id, 'id');
    return c;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    const after = await cursorAfter(page.starting_after, (id) => (isUuid(id) ? this.campaigns.cursor(accountId, id) : Promise.resolve(null)));
    return this.campaigns.list(accountId, { limit: page.limit, after });
  }

  /** A draft changes in full; a started campaign only its name and metadata. */
  async update(accountId: string, id: string, input: CampaignUpdate): Promise<CampaignEntity> {
    const c = await this.get(accountId, id);
    const shaping = Object.keys(input).filter((k) => k !== 'name' && k !== 'metadata');
    if (c.status !== 'draft' && shaping.length) throw ApiError.conflict(ErrorCodes.resourceInUse, `A ${c.status} campaign changes only its name and metadata (not ${shaping.join(', ')})`, shaping[0]!);
    if (input.agent_id !== undefined || input.from_number !== undefined) await this.checkAgent(accountId, input.agent_id ?? c.agentId, input.from_number ?? c.fromNumber ?? undefined);
    await this.campaigns.update(accountId, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      ...(input.agent_id !== undefined ? { agentId: input.agent_id } : {}),
      ...(input.from_number !== undefined ? { fromNumber: input.from_number } : {}),
      ...(input.schedule !== undefined ? { schedule: input.schedule } : {}),
      ...(input.max_concurrent_calls !== undefined ? { maxConcurrentCalls: input.max_concurrent_calls } : {}),
      ...(input.retry !== undefined ? { retry: input.retry } : {}),
      ...(input.webhook_url !== undefined ? { webhookUrl: input.webhook_url } : {}),
    });
    return this.get(accountId, id);
  }

  /**
   * start: scheduled (it runs from its start_at); pause: no new call (live ones finish); resume; cancel: no new call,
   * pending recipients stay pending. A status the action does not apply to is a 409.
   */
  async act(accountId: string, id: string, action: CampaignAction): Promise<CampaignEntity> {
    if (!isUuid(id)) throw ApiError.notFound('campaign', id, 'id');
    let paused = false;
    await this.ds.transaction(async (m) => {
      const campaigns = this.campaigns.with(m);
      const c = await campaigns.getForUpdate(accountId, id);
      if (!c) throw ApiError.notFound('campaign', id, 'id');
      if (!ACTIONS[action].includes(c.status)) throw ApiError.conflict(ErrorCodes.resourceInUse, `Cannot ${action} a ${c.status} campaign`, 'id');
      const now = new Date();
      switch (action) {
        case 'start':
        case 'resume': {
          const startAt = c.schedule.start_at ? new Date(Math.max(now.getTime(), Date.parse(c.schedule.start_at))) : now;
          await campaigns.scheduleFrom(id, startAt);
          await campaigns.update(accountId, id, { status: 'scheduled', pausedReason: null, ...(action === 'start' ? { startedAt: now } : {}) });
          break;
        }
        case 'pause':
          await campaigns.update(accountId, id, { status: 'paused', pausedReason: 'api' });
          paused = true;
          break;
        case 'cancel':
          await campaigns.update(accountId, id, { status: 'canceled', completedAt: now });
          break;
      }
    });
    if (paused) await this.events.announce(accountId, id, 'campaign.paused');
    return this.get(accountId, id);
  }

  /**
   * Adds recipients, row by row as the upload arrives (a JSON array in the body, or CSV or NDJSON streamed): a bad
   * number or field, a number already in the campaign or earlier in the upload, or one on the do-not-call list is
   * rejected with its line. One transaction: an upload that breaks off (or is too large) adds nothing.
   */
  async addRecipients(accountId: string, id: string, source: RecipientsSource): Promise<RecipientsAdded> {
    const c = await this.get(accountId, id);
    if (c.status === 'completed' || c.status === 'canceled') throw ApiError.conflict(ErrorCodes.resourceInUse, `A ${c.status} campaign takes no more recipients`, 'id');
    const rows = await recipientRows(source);
    const tally = new UploadTally();
    await this.ds.transaction(async (m) => {
      const campaigns = this.campaigns.with(m);
      const doNotCall = this.doNotCall.with(m);
      // Every number of the upload so far (about 60 bytes each): what the flat memory of a streamed upload costs.
      const seen = new Set<string>();
      let batch: Array<NewRecipient & { line: number }> = [];
      const flush = async () => {
        const listed = await doNotCall.listedAmong(accountId, batch.map((r) => r.toNumber));
        const allowed = batch.filter((r) => !listed.has(r.toNumber));
        for (const r of batch) if (listed.has(r.toNumber)) tally.reject({ line: r.line, value: r.toNumber, reason: 'the number is on the do-not-call list' });
        const added = await campaigns.addRecipients(accountId, id, allowed.map(({ line: _line, ...r }) => r));
        tally.accepted += added.size;
        for (const r of allowed) if (!added.has(r.toNumber)) tally.reject({ line: r.line, value: r.toNumber, reason: 'the campaign already has this number' });
        tally.endBatch();
        batch = [];
      };
      for await (const row of rows) {
        if ('reason' in row) tally.reject(row);
        else if (seen.has(row.toNumber)) tally.reject({ line: row.line, value: row.toNumber, reason: 'the number is on an earlier line of this upload' });
        else {
          seen.add(row.toNumber);
          batch.push(row);
          if (batch.length >= INSERT_BATCH) await flush();
        }
      }
      await flush();
      // A campaign under way calls what was added from now on.
      if (c.status === 'scheduled' || c.status === 'running') await campaigns.scheduleFrom(id, new Date());
    });
    return { object: 'recipients_upload', accepted: tally.accepted, rejected_count: tally.rejectedCount, rejected: tally.listed };
  }

  async recipients(accountId: string, id: string, q: RecipientListQuery) {
    await this.get(accountId, id);
    const after = await cursorAfter(q.starting_after, (r) => (isUuid(r) ? this.campaigns.recipientCursor(id, r) : Promise.resolve(null)));
    return this.campaigns.listRecipients(id, { state: q.state, outcome: q.outcome }, { limit: q.limit, after });
  }

  /** The recipients and their final outcomes as CSV, with the result's fields (the agent's `returns`) in columns. */
  async outcomes(accountId: string, id: string): Promise<{ campaign: CampaignEntity; csv: AsyncIterable<string> }> {
    const campaign = await this.get(accountId, id);
    const agent = await this.agents.get(accountId, campaign.agentId);
    return { campaign, csv: outcomesCsv(this.campaigns, id, agent?.returns ?? null) };
  }

  async view(c: CampaignEntity): Promise<Campaign> {
    return campaignView(c, await this.campaigns.progress(c.id));
  }

  private async checkAgent(accountId: string, agentId: string, fromNumber: string | undefined): Promise<void> {
    await this.contexts.get(accountId, { agent_id: agentId, from_number: fromNumber });
  }
}

export function recipientView(r: CampaignRecipientEntity): CampaignRecipient {
  return {
    id: r.id,
    object: 'campaign_recipient',
    to: r.toNumber,
    context: r.context,
    metadata: r.metadata,
    timezone: r.timezone,
    state: r.state,
    outcome: r.outcome,
    attempts: r.attempts,
    call_ids: r.callIds,
    next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
    updated_at: r.updatedAt.toISOString(),
  };
}

/** Where an upload's recipients come from: a JSON array in the body, or CSV or NDJSON read as they arrive. */
export type RecipientsSource = { format: 'json' | 'csv' | 'ndjson'; body: unknown };

type RecipientRow = (NewRecipient & { line: number }) | RecipientsAdded['rejected'][number];

/** Counts an upload's outcome and lists its first rejected rows, in line order (each batch's sorted as it ends). */
class UploadTally {
  accepted = 0;
  rejectedCount = 0;
  readonly listed: RecipientsAdded['rejected'] = [];
  private batch: RecipientsAdded['rejected'] = [];

  reject(r: RecipientsAdded['rejected'][number]): void {
    this.rejectedCount++;
    if (this.listed.length + this.batch.length < MAX_REJECTED_LISTED) this.batch.push(r);
  }

  endBatch(): void {
    this.listed.push(...this.batch.sort((a, b) => a.line - b.line));
    this.batch = [];
  }
}

/** The upload's rows, each a recipient or why its line was refused; a CSV without a number column is a 400 at once. */
async function recipientRows(source: RecipientsSource): Promise<AsyncIterable<RecipientRow> | Iterable<RecipientRow>> {
  if (source.format === 'json') return jsonRecipients(source.body);
  if (!isUploadBody(source.body)) throw ApiError.invalid(`Send the recipients as ${source.format === 'csv' ? 'text/csv' : 'application/x-ndjson'}`, null);
  return source.format === 'csv' ? csvRecipients(await readCsv(source.body)) : ndjsonRecipients(source.body);
}

/** A recipient as the API takes it (JSON, NDJSON), or why not. */
function recipientRow(line: number, item: unknown): RecipientRow {
  const r = RecipientInput.safeParse(item);
  if (r.success) return { line, id: randomUUID(), toNumber: r.data.to, context: r.data.context, metadata: r.data.metadata, timezone: r.data.timezone };
  const issue = r.error.issues[0]!;
  return { line, value: JSON.stringify(item).slice(0, 200), reason: `${issue.path.join('.') || 'recipient'}: ${issue.message}` };
}

function jsonRecipients(body: unknown): RecipientRow[] {
  const upload = RecipientsUpload.safeParse(body);
  if (!upload.success) {
    throw ApiError.invalid('Send a JSON array of recipients (at most 10,000; {to, context?, metadata?, timezone?}), {"recipients": [...]}, or a longer list as text/csv or application/x-ndjson', null);
  }
  const items = Array.isArray(upload.data) ? upload.data : upload.data.recipients;
  return items.map((item, i) => recipientRow(i + 1, item));
}

/** NDJSON: one recipient object per line, as in a JSON upload; blank lines are skipped. */
async function* ndjsonRecipients(body: UploadBody): AsyncGenerator<RecipientRow> {
  for await (const { line, text } of textLines(body)) {
    if (!text.trim()) continue;
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch {
      yield { line, value: text.slice(0, 200), reason: 'not a JSON object' };
      continue;
    }
    yield recipientRow(line, item);
  }
}

/** CSV: a `to` column (or `number`, `phone`, `phone_number`), an optional `timezone`; every other column is a context key. */
function csvRecipients({ columns, records }: CsvReader): AsyncIterable<RecipientRow> {
  const toAt = numberColumn(columns, ['to', 'number', 'phone', 'phone_number']);
  if (toAt < 0) throw ApiError.invalid(`CSV: the header row must name a "to" column (found: ${columns.join(', ') || 'nothing'})`, null);
  const tzAt = columns.indexOf('timezone');
  return (async function* () {
    for await (const { line, values } of records) {
      const given = (values[toAt] ?? '').trim();
      const to = cleanNumber(given);
      if (!E164.safeParse(to).success) {
        yield { line, value: given, reason: 'not an E.164 phone number such as +14155550123' };
        continue;
      }
      const timezone = tzAt >= 0 ? (values[tzAt] ?? '').trim() || null : null;
      const parsed = RecipientInput.safeParse({ to, timezone });
      if (!parsed.success) {
        yield { line, value: given, reason: `timezone: ${parsed.error.issues[0]!.message}` };
        continue;
      }
      const context: Record<string, unknown> = {};
      columns.forEach((c, i) => {
        if (i !== toAt && i !== tzAt && c) context[c] = (values[i] ?? '').trim();
      });
      yield { line, id: randomUUID(), toNumber: to, context, metadata: {}, timezone };
    }
  })();
}
