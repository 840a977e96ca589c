import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { Asterisk, AsteriskCreate, AsteriskUpdate, ErrorCodes, listOf } from '@parley/common';
import { type DataSource, SecretBox } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import { z } from 'zod';
import { ApiError } from '../http/api-error';
import { ApiRoute, ValidBody } from '../http/api-route';
import { list } from '../http/pagination';
import { AsteriskAdmin, AsteriskAdminError, type AsteriskOptions, type AsteriskView } from './asterisk-admin';

const Removed = z.object({ object: z.literal('asterisk'), name: z.string(), deleted: z.literal(true) });
/** The API's field for each of the registry's options. */
const FIELD: Record<keyof AsteriskOptions, string> = { name: 'name', url: 'ari_url', username: 'ari_username', password: 'ari_password', capacity: 'capacity', site: 'site', labels: 'labels' };

const view = (a: AsteriskView): Asterisk => ({ object: 'asterisk', ...a });

/**
 * The Asterisk registry over HTTP, for platform admins (the PARLEY_ADMIN_TOKEN, not an account's key): the same as
 * `pnpm parley asterisks`. The dialers connect to an added Asterisk within ASTERISK_REGISTRY_RELOAD_MS.
 */
@Controller('v1/admin/asterisks')
export class AsterisksController {
  private readonly admin: AsteriskAdmin;

  constructor(@Inject(DATA_SOURCE) ds: DataSource, secrets: SecretBox) {
    this.admin = new AsteriskAdmin(ds, secrets);
  }

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: 'Admin', summary: 'Register an Asterisk the dialers connect to (admin token)', auth: 'admin', body: AsteriskCreate, response: Asterisk, status: 201, errors: [403, 409] })
  async create(@ValidBody() body: AsteriskCreate) {
    return view(await refusals(this.admin.add({ name: body.name, url: body.ari_url, username: body.ari_username, password: body.ari_password, capacity: body.capacity, site: body.site ?? undefined, labels: body.labels })));
  }

  @Get()
  @ApiRoute({ tag: 'Admin', summary: 'List the registered Asterisks (admin token)', auth: 'admin', response: listOf(Asterisk), errors: [403] })
  async list() {
    return list((await this.admin.list()).map(view), false);
  }

  @Patch(':name')
  @ApiRoute({ tag: 'Admin', summary: 'Change a registered Asterisk (admin token); the dialers reconnect on a new address or password', auth: 'admin', body: AsteriskUpdate, response: Asterisk, errors: [403] })
  async update(@Param('name') name: string, @ValidBody() body: AsteriskUpdate) {
    return view(await refusals(this.admin.update(name, { url: body.ari_url, username: body.ari_username, password: body.ari_password, capacity: body.capacity, site: body.site === null ? '' : body.site, labels: body.labels })));
  }

  @Delete(':name')
  @ApiRoute({ tag: 'Admin', summary: 'Remove an Asterisk (admin token): no new calls; closed once its calls end', auth: 'admin', response: Removed, errors: [403] })
  async remove(@Param('name') name: string) {
    await refusals(this.admin.remove(name));
    return { object: 'asterisk' as const, name, deleted: true as const };
  }
}

/** The registry's refusals in the API's error shape. */
async function refusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof AsteriskAdminError)) throw err;
    const param = err.option ? FIELD[err.option] : null;
    if (err.kind === 'taken') throw ApiError.conflict(ErrorCodes.asteriskNameTaken, err.message, param);
    if (err.kind === 'missing') throw new ApiError(404, ErrorCodes.notFound, err.message, param);
    throw ApiError.invalid(err.message, param);
  }
}
