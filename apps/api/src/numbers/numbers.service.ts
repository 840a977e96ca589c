import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, type PhoneNumber, type PhoneNumberCreate, type PhoneNumberUpdate } from '@parley/common';
import { type DataSource, PhoneNumberEntity, PhoneNumbers, TrunkEntity } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { paginate } from '../http/pagination';

@Injectable()
export class NumbersService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly contexts: CallContexts,
  ) {}

  private get repo() {
    return this.ds.getRepository(PhoneNumberEntity);
  }

  private get numbers() {
    return new PhoneNumbers(this.ds);
  }

  /** Only ever about the caller's own trunk: whether another account holds the number is none of its business. */
  private taken(number: string, trunkId: string): ApiError {
    return ApiError.conflict(ErrorCodes.numberTaken, `The number ${number} is already on trunk '${trunkId}'`, 'number');
  }

  private async assertTrunk(accountId: string, trunkId: string) {
    const exists = await this.ds.getRepository(TrunkEntity).existsBy({ id: trunkId, accountId });
    if (!exists) throw ApiError.notFound('trunk', trunkId, 'trunk_id');
  }

  async create(accountId: string, input: PhoneNumberCreate): Promise<PhoneNumberEntity> {
    await this.assertTrunk(accountId, input.trunk_id);
    const row = this.repo.create({ id: newId.number(), accountId, number: input.number, trunkId: input.trunk_id, label: input.label });
    if (!(await this.numbers.insert(row))) throw this.taken(input.number, input.trunk_id);
    return this.get(accountId, row.id);
  }

  async get(accountId: string, id: string): Promise<PhoneNumberEntity> {
    const row = await this.repo.findOneBy({ id, accountId });
    if (!row) throw ApiError.notFound('phone number', id, 'id');
    return row;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    const qb = this.repo.createQueryBuilder('n').where('n.account_id = :accountId', { accountId });
    return paginate(qb, 'n', page, (id) => this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] }));
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
    const agents = await this.agentIdsByNumber(accountId, [id]);
    const attached = agents.get(id) ?? [];
    if (attached.length) throw ApiError.conflict(ErrorCodes.resourceInUse, `Number '${id}' is attached to agent(s) ${attached.join(', ')}; detach it first`, 'id');
    await this.repo.delete({ id, accountId });
    this.contexts.forget(accountId);
  }

  async agentIdsByNumber(accountId: string, numberIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!numberIds.length) return out;
    const rows: Array<{ number_id: string; agent_id: string }> = await this.ds.query(
      `SELECT n AS number_id, a.id AS agent_id FROM agents a, unnest(a.number_ids) AS n WHERE a.account_id = $1 AND n = ANY($2) ORDER BY a.created_at`,
      [accountId, numberIds],
    );
    for (const r of rows) out.set(r.number_id, [...(out.get(r.number_id) ?? []), r.agent_id]);
    return out;
  }

  async views(accountId: string, rows: PhoneNumberEntity[]): Promise<PhoneNumber[]> {
    const agents = await this.agentIdsByNumber(accountId, rows.map((r) => r.id));
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
