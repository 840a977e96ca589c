import { Inject, Injectable } from '@nestjs/common';
import type { CallCreate } from '@parley/common';
import type { DataSource } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import type { AccountBilling } from '../billing/credits';
import { ApiError } from '../http/api-error';
import { NotifiedCache } from '../notifications/notified-cache';
import { PG_CHANNELS, PgNotifications } from '../notifications/pg-notifications';
import type { AgentSnapshot } from './call-row';

export interface CallContext {
  agent: AgentSnapshot & { type: string };
  account: AccountBilling;
  from: { number: string; trunkId: string };
}

/**
 * What a new call is built from, cached per (account, agent, from_number): the hot path of POST /v1/calls then needs
 * no read at all. A database trigger NOTIFYs the account on any change to its agents, numbers, trunks or billing
 * settings, which evicts it here; while the LISTEN connection is down nothing is served from memory.
 */
@Injectable()
export class CallContexts {
  private readonly contexts: NotifiedCache<CallContext>;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    notifications: PgNotifications,
  ) {
    this.contexts = new NotifiedCache(notifications, 60_000, 50_000);
    notifications.on(PG_CHANNELS.configChanged, (accountId) => this.forget(accountId));
  }

  /**
   * Drops an account's entries. The NOTIFY does it for every api process; this api's own writes call it too, so a
   * client that changes an agent and places a call right after never races the notification here.
   */
  forget(accountId: string): void {
    this.contexts.deleteByPrefix(`${accountId}|`);
  }

  get(accountId: string, input: CallCreate): Promise<CallContext> {
    return this.contexts.getOr(`${accountId}|${input.agent_id}|${input.from_number ?? ''}`, () => this.load(accountId, input));
  }

  private async load(accountId: string, input: CallCreate): Promise<CallContext> {
    const rows: CallContextRow[] = await this.ds.query(
      `SELECT a.id, a.type, a.persona, a.instructions, a.returns, a.language, a.webhook_url, a.max_duration_seconds, a.ring_timeout_seconds,
              acc.balance_milli_cents, acc.rate_milli_cents_per_minute, acc.billing_increment_seconds, acc.billing_minimum_seconds,
              n.number AS from_number, n.trunk_id AS from_trunk_id
         FROM agents a
         JOIN accounts acc ON acc.id = a.account_id
         LEFT JOIN phone_numbers n ON n.account_id = a.account_id AND n.id = ANY(a.number_ids)
              AND (CASE WHEN $3::text IS NULL THEN n.id = COALESCE(a.primary_number_id, a.number_ids[1]) ELSE n.number = $3::text END)
        WHERE a.id = $1 AND a.account_id = $2`,
      [input.agent_id, accountId, input.from_number ?? null],
    );
    const r = rows[0];
    if (!r) throw ApiError.notFound('agent', input.agent_id, 'agent_id');
    if (r.type !== 'outbound') throw ApiError.invalid(`Agent '${r.id}' is an inbound agent; calls are placed with outbound agents`, 'agent_id', 'agent_not_outbound');
    if (!r.from_number || !r.from_trunk_id) {
      if (input.from_number) {
        throw ApiError.invalid(`from_number ${input.from_number} is not attached to agent '${r.id}'; attach it to the agent or omit from_number`, 'from_number', 'from_number_not_attached');
      }
      throw ApiError.invalid(`Agent '${r.id}' has no number to call from`, 'agent_id');
    }
    return {
      agent: {
        id: r.id,
        type: r.type,
        persona: r.persona,
        instructions: r.instructions,
        returns: r.returns,
        language: r.language,
        webhookUrl: r.webhook_url,
        maxDurationSeconds: r.max_duration_seconds,
        ringTimeoutSeconds: r.ring_timeout_seconds,
      },
      account: {
        id: accountId,
        balanceMilliCents: r.balance_milli_cents === null ? null : Number(r.balance_milli_cents),
        rateMilliCentsPerMinute: r.rate_milli_cents_per_minute,
        billingIncrementSeconds: r.billing_increment_seconds,
        billingMinimumSeconds: r.billing_minimum_seconds,
      },
      from: { number: r.from_number, trunkId: r.from_trunk_id },
    };
  }

}

interface CallContextRow {
  id: string;
  type: string;
  persona: string | null;
  instructions: string | null;
  returns: Record<string, unknown> | null;
  language: string;
  webhook_url: string | null;
  max_duration_seconds: number;
  ring_timeout_seconds: number;
  balance_milli_cents: string | null;
  rate_milli_cents_per_minute: number;
  billing_increment_seconds: number;
  billing_minimum_seconds: number;
  from_number: string | null;
  from_trunk_id: string | null;
}
