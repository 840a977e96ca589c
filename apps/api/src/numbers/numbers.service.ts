import { Injectable } from '@nestjs/common';
import { ErrorCodes, type PhoneNumber, type PhoneNumberCreate, type PhoneNumberUpdate } from '@parley/common';
import { AgentsRepository, type PhoneNumberEntity, PhoneNumbersRepository, TrunksRepository } from '@parley/db';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { cursorAfter } from '../http/pagination';

@Injectable()
export class NumbersService {
  constructor(
    private readonly numbers: PhoneNumbersRepository,
    private readonly trunks: TrunksRepository,
    private readonly agents: AgentsRepository,
    private readonly contexts: CallContexts,
  ) {}

  /** Only ever about the caller's own trunk: whether another account holds the number is none of its business. */
  private taken(number: string, trunkId: string): ApiError {
    return ApiError.conflict(ErrorCodes.numberTaken, `The number ${number} is already on trunk '${trunkId}'`, 'number');
  }

  private async assertTrunk(accountId: string, trunkId: string) {
    if (!(await this.trunks.exists(accountId, trunkId))) throw ApiError.notFound('trunk', trunkId, 'trunk_id');
  }

  async create(accountId: string, input: PhoneNumberCreate): Promise<PhoneNumberEntity> {
    await this.assertTrunk(accountId, input.trunk_id);
    const id = newId.number();
    if (!(await this.numbers.insert({ id, accountId, number: input.number, trunkId: input.trunk_id, label: input.label }))) throw this.taken(input.number, input.trunk_id);
    return this.get(accountId, id);
  }

  async get(accountId: string, id: string): Promise<PhoneNumberEntity> {
    const row = await this.numbers.get(accountId, id);
    if (!row) throw ApiError.notFound('phone number', id, 'id');
    return row;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    return this.numbers.list(accountId, { limit: page.limit, after: await cursorAfter(page.starting_after, (id) => this.numbers.cursor(accountId, id)) });
  }

  async update(accountId: string, id: string, input: PhoneNumberUpdate): Promise<PhoneNumberEntity> {
    const current = await this.get(accountId, id);
    const patch: Partial<PhoneNumberEntity> = {};
    if (input.trunk_id !== undefined) {
      await this.assertTrunk(accountId, input.trunk_id);
      patch.trunkId = input.trunk_id;
    }
    if (input.label !== undefined) patch.label = input.label;
    if (Object.keys(patch).length && !(await this.numbers.update(accountId, id, patch))) throw this.taken(current.number, patch.trunkId!);
    this.contexts.forget(accountId);
    return this.get(accountId, id);
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.get(accountId, id);
    const attached = (await this.agents.idsByNumber(accountId, [id])).get(id) ?? [];
    if (attached.length) throw ApiError.conflict(ErrorCodes.resourceInUse, `Number '${id}' is attached to agent(s) ${attached.join(', ')}; detach it first`, 'id');
    await this.numbers.delete(accountId, id);
    this.contexts.forget(accountId);
  }

  async views(accountId: string, rows: PhoneNumberEntity[]): Promise<PhoneNumber[]> {
    const agents = await this.agents.idsByNumber(accountId, rows.map((r) => r.id));
    return rows.map((n) => ({
      id: n.id,
      object: 'phone_number',
      number: n.number,
      trunk_id: n.trunkId,
      label: n.label,
      agent_ids: agents.get(n.id) ?? [],
      created_at: n.createdAt.toISOString(),
      updated_at: n.updatedAt.toISOString(),
    }));
  }
}
