import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InboundCallCreateReply, InboundCallCreateRequest } from '@parley/common';
import { AccountsRepository, type CallEntity, CallsRepository, type DataSource, PhoneNumbersRepository } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger } from '@parley/service-kit';
import type { z } from 'zod';
import { reserveForCall } from '../billing/credits';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { newCallRow } from './call-row';
import { conversationSnapshot } from './conversation-snapshot';

type Reply = z.infer<typeof InboundCallCreateReply>;

/** Answers the dialer's request for the row of an inbound call: the inbound agent of the dialed number on the call's trunk takes it; the reply carries the call's conversation snapshot. */
@Injectable()
export class InboundCalls implements OnApplicationBootstrap {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly calls: CallsRepository,
    private readonly numbers: PhoneNumbersRepository,
    private readonly accounts: AccountsRepository,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.bus.serve(this.bus.subjects.inboundCallCreate, InboundCallCreateRequest, InboundCallCreateReply, (req) => this.create(req), 'api');
  }

  async create(req: z.infer<typeof InboundCallCreateRequest>): Promise<Reply> {
    // The same number may be on other trunks of other accounts: only the trunk the call came in on counts.
    const number = await this.numbers.onTrunk(req.trunk_id, req.to);
    if (!number) {
      this.logger.warn({ to: req.to, from: req.from, trunk_id: req.trunk_id }, 'inbound call to a number not on its trunk rejected');
      return { ok: false, error: `no number ${req.to} is registered on trunk ${req.trunk_id}` };
    }
    const agent = await this.calls.inboundAgentFor(number.accountId, number.id);
    if (!agent) {
      this.logger.warn({ to: req.to, from: req.from, number: number.id }, 'inbound call rejected: no inbound agent answers this number');
      return { ok: false, error: `number ${req.to} has no inbound agent` };
    }
    const id = newId.call();
    let call: CallEntity;
    let webhookSecret = '';
    try {
      call = await this.ds.transaction(async (m) => {
        const account = await this.accounts.with(m).get(number.accountId);
        if (!account) throw new Error(`account ${number.accountId} of number ${number.id} not found`);
        webhookSecret = account.webhookSecret;
        const reserved = await reserveForCall(m, account, id, agent.maxDurationSeconds);
        const row = newCallRow({ id, accountId: account.id, agent, trunkId: number.trunkId, direction: 'inbound', toNumber: req.to, fromNumber: req.from, context: {}, metadata: {}, reservedMilliCents: reserved });
        await this.calls.with(m).insert(row);
        return row;
      });
    } catch (err) {
      if (err instanceof ApiError) {
        this.logger.warn({ to: req.to, code: err.code }, `inbound call rejected: ${err.message}`);
        return { ok: false, error: err.message };
      }
      throw err;
    }
    return { ok: true, call_id: id, account_id: number.accountId, agent_id: agent.id, max_duration_seconds: agent.maxDurationSeconds, conversation: conversationSnapshot(call, agent, webhookSecret) };
  }
}
