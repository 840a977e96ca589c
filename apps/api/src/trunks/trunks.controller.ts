import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { listOf, Pagination, Trunk, TrunkCreate, TrunkUpdate } from '@parley/common';
import { z } from 'zod';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { TrunksService } from './trunks.service';

const Deleted = z.object({ id: z.string(), object: z.literal('trunk'), deleted: z.literal(true) });

@Controller('v1/trunks')
export class TrunksController {
  constructor(private readonly trunks: TrunksService) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: 'Trunks', summary: 'Create a SIP trunk', body: TrunkCreate, response: Trunk, status: 201, errors: [409] })
  async create(@AccountId() accountId: string, @ValidBody() body: TrunkCreate) {
    return this.trunks.view(await this.trunks.create(accountId, body));
  }

  @Get()
  @ApiRoute({ tag: 'Trunks', summary: 'List trunks (the built-in sandbox trunk included)', query: Pagination, response: listOf(Trunk) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.trunks.list(accountId, query);
    return list(await this.trunks.views(page.rows), page.hasMore);
  }

  @Get(':id')
  @ApiRoute({ tag: 'Trunks', summary: 'Get a trunk', response: Trunk })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return this.trunks.view(await this.trunks.get(accountId, id));
  }

  @Patch(':id')
  @ApiRoute({ tag: 'Trunks', summary: 'Update a trunk', body: TrunkUpdate, response: Trunk, errors: [409] })
  async update(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: TrunkUpdate) {
    return this.trunks.view(await this.trunks.update(accountId, id, body));
  }

  @Delete(':id')
  @ApiRoute({ tag: 'Trunks', summary: 'Delete a trunk without numbers', response: Deleted, errors: [409] })
  async delete(@AccountId() accountId: string, @Param('id') id: string) {
    await this.trunks.delete(accountId, id);
    return { id, object: 'trunk' as const, deleted: true as const };
  }
}
