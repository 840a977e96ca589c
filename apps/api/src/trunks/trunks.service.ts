import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, TrunksChangedMessage, type TrunkCreate, type TrunkUpdate } from '@parley/common';
import { type DataSource, PhoneNumberEntity, SecretBox, TrunkEntity } from '@parley/db';
import { Bus, DATA_SOURCE } from '@parley/service-kit';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { paginate } from '../http/pagination';

@Injectable()
export class TrunksService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly secrets: SecretBox,
    private readonly bus: Bus,
    private readonly contexts: CallContexts,
  ) {}

  private get repo() {
    return this.ds.getRepository(TrunkEntity);
  }

  async create(accountId: string, input: TrunkCreate): Promise<TrunkEntity> {
    if (input.register && (!input.username || !input.password)) throw ApiError.invalid('register needs username and password', 'register');
    const trunk = this.repo.create({
      id: newId.trunk(),
      accountId,
      name: input.name,
      sandbox: false,
      host: input.host,
      port: input.port,
      transport: input.transport,
      username: input.username,
      passwordEncrypted: input.password ? this.secrets.seal(input.password) : null,
      fromDomain: input.from_domain,
      codecs: input.codecs,
      maxConcurrentCalls: input.max_concurrent_calls,
      callsPerSecond: input.calls_per_second,
      register: input.register,
    });
    try {
      await this.repo.insert(trunk);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw ApiError.conflict(ErrorCodes.resourceInUse, `A trunk named '${input.name}' already exists`, 'name');
      throw err;
    }
    this.announce(accountId, trunk.id);
    return (await this.repo.findOneByOrFail({ id: trunk.id }));
  }

  async get(accountId: string, id: string): Promise<TrunkEntity> {
    const trunk = await this.repo.findOneBy({ id, accountId });
    if (!trunk) throw ApiError.notFound('trunk', id, 'id');
    return trunk;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    const qb = this.repo.createQueryBuilder('t').where('t.account_id = :accountId', { accountId });
    return paginate(qb, 't', page, (id) => this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] }));
  }

  async update(accountId: string, id: string, input: TrunkUpdate): Promise<TrunkEntity> {
    const trunk = await this.get(accountId, id);
    if (trunk.sandbox) throw new ApiError(400, ErrorCodes.sandboxTrunkReadOnly, 'The built-in sandbox trunk cannot be changed', 'id');
    const patch: Partial<TrunkEntity> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.host !== undefined) patch.host = input.host;
    if (input.port !== undefined) patch.port = input.port;
    if (input.transport !== undefined) patch.transport = input.transport;
    if (input.username !== undefined) patch.username = input.username;
    if (input.password !== undefined) patch.passwordEncrypted = input.password === null ? null : this.secrets.seal(input.password);
    if (input.from_domain !== undefined) patch.fromDomain = input.from_domain;
    if (input.codecs !== undefined) patch.codecs = input.codecs;
    if (input.max_concurrent_calls !== undefined) patch.maxConcurrentCalls = input.max_concurrent_calls;
    if (input.calls_per_second !== undefined) patch.callsPerSecond = input.calls_per_second;
    if (input.register !== undefined) patch.register = input.register;
    const merged = { ...trunk, ...patch };
    if (merged.register && (!merged.username || !merged.passwordEncrypted)) throw ApiError.invalid('register needs username and password', 'register');
    if (Object.keys(patch).length > 0) {
      try {
        await this.repo.update({ id, accountId }, patch);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw ApiError.conflict(ErrorCodes.resourceInUse, `A trunk named '${input.name}' already exists`, 'name');
        throw err;
      }
      this.announce(accountId, id);
    }
    return this.get(accountId, id);
  }

  async delete(accountId: string, id: string): Promise<void> {
    const trunk = await this.get(accountId, id);
    if (trunk.sandbox) throw new ApiError(400, ErrorCodes.sandboxTrunkReadOnly, 'The built-in sandbox trunk cannot be deleted', 'id');
    const inUse = await this.ds.getRepository(PhoneNumberEntity).countBy({ trunkId: id });
    if (inUse > 0) throw ApiError.conflict(ErrorCodes.resourceInUse, `Trunk '${id}' still has ${inUse} phone number(s); move or delete them first`, 'id');
    await this.repo.delete({ id, accountId });
    this.announce(accountId, id);
  }

  /** Dialers push trunks to Asterisk again on this message; new calls of the account read their context afresh. */
  private announce(accountId: string, trunkId: string) {
    this.contexts.forget(accountId);
    this.bus.publish(this.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: accountId, trunk_id: trunkId });
  }
}
