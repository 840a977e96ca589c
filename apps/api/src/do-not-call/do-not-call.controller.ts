import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DoNotCallCreate, DoNotCallEntry, DoNotCallImport, listOf, Pagination } from '@parley/common';
import { z } from 'zod';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { DoNotCallService, doNotCallView } from './do-not-call.service';

const Removed = z.object({ object: z.literal('do_not_call_entry'), number: z.string(), deleted: z.literal(true) });

@Controller('v1/do_not_call')
export class DoNotCallController {
  constructor(private readonly doNotCall: DoNotCallService) {}

  @Post()
  @ApiRoute({ tag: 'Do not call', summary: 'Put a number on the do-not-call list (201; 200 if it was on it already, unchanged)', body: DoNotCallCreate, response: DoNotCallEntry, status: 201, alsoStatus: { 200: 'Already on the list: the entry as it was (its first reason and date)' } })
  async add(@AccountId() accountId: string, @ValidBody() body: DoNotCallCreate, @Res({ passthrough: true }) res: FastifyReply) {
    const { entry, created } = await this.doNotCall.add(accountId, body);
    res.status(created ? 201 : 200);
    return doNotCallView(entry);
  }

  @Post('import')
  @HttpCode(200)
  @ApiRoute({
    tag: 'Do not call',
    summary: 'Add the numbers of a CSV (Content-Type: text/csv; a header row with a "number" column and an optional "reason"); each bad row is listed with its line',
    consumes: 'text/csv',
    response: DoNotCallImport,
  })
  async import(@AccountId() accountId: string, @Body() csv: unknown) {
    return this.doNotCall.import(accountId, csv);
  }

  @Get()
  @ApiRoute({ tag: 'Do not call', summary: 'List the do-not-call numbers, newest first (starting_after takes a number)', query: Pagination, response: listOf(DoNotCallEntry) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.doNotCall.list(accountId, query);
    return list(page.rows.map(doNotCallView), page.hasMore);
  }

  @Get(':number')
  @ApiRoute({ tag: 'Do not call', summary: 'Whether a number is on the list (404 if not)', response: DoNotCallEntry })
  async get(@AccountId() accountId: string, @Param('number') number: string) {
    return doNotCallView(await this.doNotCall.get(accountId, number));
  }

  @Delete(':number')
  @ApiRoute({ tag: 'Do not call', summary: 'Take a number off the list', response: Removed })
  async remove(@AccountId() accountId: string, @Param('number') number: string) {
    await this.doNotCall.remove(accountId, number);
    return { object: 'do_not_call_entry' as const, number, deleted: true as const };
  }
}
