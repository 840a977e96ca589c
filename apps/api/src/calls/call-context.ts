import { Injectable } from '@nestjs/common';
import type { CallCreate } from '@parley/common';
import { CallsRepository, type NewCallSource } from '@parley/db';
import { ApiError } from '../http/api-error';
import { NotifiedCache } from '../notifications/notified-cache';
import { PG_CHANNELS, PgNotifications } from '../notifications/pg-notifications';

/** A new call's source with a number to call from. */
export type CallContext = NewCallSource & { from: NonNullable<NewCallSource['from']> };

/**
 * What a new call is built from, cached per (account, agent, from_number): the hot path of POST /v1/calls then needs
 * no read at all. A database trigger NOTIFYs the account on any change to its agents, numbers, trunks, billing
 * settings or do-not-call list, which evicts it here; while the LISTEN connection is down nothing is served from memory.
 */
@Injectable()
export class CallContexts {
  private readonly contexts: NotifiedCache<CallContext>;

  constructor(
    private readonly calls: CallsRepository,
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

  get(accountId: string, input: Pick<CallCreate, 'agent_id' | 'from_number'>): Promise<CallContext> {
    return this.contexts.getOr(`${accountId}|${input.agent_id}|${input.from_number ?? ''}`, () => this.load(accountId, input));
  }

  private async load(accountId: string, input: Pick<CallCreate, 'agent_id' | 'from_number'>): Promise<CallContext> {
    const source = await this.calls.findNewCallSource(accountId, input.agent_id, input.from_number ?? null);
    if (!source) throw ApiError.notFound('agent', input.agent_id, 'agent_id');
    const { agent, account, from, doNotCall } = source;
    if (agent.type !== 'outbound') throw ApiError.invalid(`Agent '${agent.id}' is an inbound agent; calls are placed with outbound agents`, 'agent_id', 'agent_not_outbound');
    if (!from) {
      if (input.from_number) {
        throw ApiError.invalid(`from_number ${input.from_number} is not attached to agent '${agent.id}'; attach it to the agent or omit from_number`, 'from_number', 'from_number_not_attached');
      }
      throw ApiError.invalid(`Agent '${agent.id}' has no number to call from`, 'agent_id');
    }
    return { agent, account, from, doNotCall };
  }
}
