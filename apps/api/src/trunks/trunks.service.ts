import { Injectable } from '@nestjs/common';
import { ErrorCodes, TrunksChangedMessage, type Trunk, type TrunkCreate, type TrunkUpdate } from '@parley/common';
import { AsterisksRepository, PhoneNumbersRepository, SecretBox, type TrunkEntity, type TrunkPatch, TrunkStatesRepository, TrunksRepository } from '@parley/db';
import { Bus } from '@parley/service-kit';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { cursorAfter } from '../http/pagination';
import { trunkView } from './trunk.view';

/** The Asterisk a dialer's ARI_URL names, valid on any trunk without a registry entry. */
const DEFAULT_ASTERISK = 'default';

@Injectable()
export class TrunksService {
  constructor(
    private readonly trunks: TrunksRepository,
    private readonly states: TrunkStatesRepository,
    private readonly asterisks: AsterisksRepository,
    private readonly numbers: PhoneNumbersRepository,
    private readonly secrets: SecretBox,
    private readonly bus: Bus,
    private readonly contexts: CallContexts,
  ) {}

  async create(accountId: string, input: TrunkCreate): Promise<TrunkEntity> {
    if (input.register && (!input.username || !input.password)) throw ApiError.invalid('register needs username and password', 'register');
    await this.checkAsterisks(input.asterisks);
    const trunk = await this.trunks.create({
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
      asterisks: input.asterisks,
    });
    if (!trunk) throw this.nameTaken(input.name);
    this.announce(accountId, trunk.id);
    return trunk;
  }

  /** The trunks as the API shows them, each with what the dialers last reported of it. */
  async views(trunks: TrunkEntity[]): Promise<Trunk[]> {
    const states = await this.states.ofTrunks(trunks.map((t) => t.id));
    const now = new Date();
    return trunks.map((t) => trunkView(t, states.get(t.id) ?? [], now));
  }

  async view(trunk: TrunkEntity): Promise<Trunk> {
    return (await this.views([trunk]))[0]!;
  }

  async get(accountId: string, id: string): Promise<TrunkEntity> {
    const trunk = await this.trunks.get(accountId, id);
    if (!trunk) throw ApiError.notFound('trunk', id, 'id');
    return trunk;
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    return this.trunks.list(accountId, { limit: page.limit, after: await cursorAfter(page.starting_after, (id) => this.trunks.cursor(accountId, id)) });
  }

  async update(accountId: string, id: string, input: TrunkUpdate): Promise<TrunkEntity> {
    const trunk = await this.get(accountId, id);
    if (trunk.sandbox) throw new ApiError(400, ErrorCodes.sandboxTrunkReadOnly, 'The built-in sandbox trunk cannot be changed', 'id');
    const patch: TrunkPatch = {};
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
    if (input.asterisks !== undefined) {
      await this.checkAsterisks(input.asterisks);
      patch.asterisks = input.asterisks;
    }
    const merged = { ...trunk, ...patch };
    if (merged.register && (!merged.username || !merged.passwordEncrypted)) throw ApiError.invalid('register needs username and password', 'register');
    if (Object.keys(patch).length > 0) {
      if (!(await this.trunks.update(accountId, id, patch))) throw this.nameTaken(input.name);
      this.announce(accountId, id);
    }
    return this.get(accountId, id);
  }

  async delete(accountId: string, id: string): Promise<void> {
    const trunk = await this.get(accountId, id);
    if (trunk.sandbox) throw new ApiError(400, ErrorCodes.sandboxTrunkReadOnly, 'The built-in sandbox trunk cannot be deleted', 'id');
    const inUse = await this.numbers.countOnTrunk(id);
    if (inUse > 0) throw ApiError.conflict(ErrorCodes.resourceInUse, `Trunk '${id}' still has ${inUse} phone number(s); move or delete them first`, 'id');
    await this.trunks.delete(accountId, id);
    this.announce(accountId, id);
  }

  /** Every name must be a registered Asterisk, or `default` (the one a dialer's ARI_URL names). */
  private async checkAsterisks(names: string[]): Promise<void> {
    const unknown = await this.asterisks.unknownNames(names.filter((n) => n !== DEFAULT_ASTERISK));
    if (unknown.length > 0) throw ApiError.invalid(`no Asterisk is registered as ${unknown.map((n) => `'${n}'`).join(', ')} (see \`pnpm parley asterisks list\`)`, 'asterisks');
  }

  private nameTaken(name: string | undefined): ApiError {
    return ApiError.conflict(ErrorCodes.resourceInUse, `A trunk named '${name}' already exists`, 'name');
  }

  /** Dialers push trunks to Asterisk again on this message; new calls of the account read their context afresh. */
  private announce(accountId: string, trunkId: string) {
    this.contexts.forget(accountId);
    this.bus.publish(this.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: accountId, trunk_id: trunkId });
  }
}
