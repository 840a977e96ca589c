import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { Call, CallListQuery, listOf, Pagination, PhoneNumber, PhoneNumberCreate, PhoneNumberUpdate } from '@parley/common';
import { z } from 'zod';
import { CallsService } from '../calls/calls.service';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { NumbersService } from './numbers.service';

const Deleted = z.object({ id: z.string(), object: z.literal('phone_number'), deleted: z.literal(true) });
const NumberCallsQuery = CallListQuery.omit({ to_number: true, from_number: true });

@Controller('v1/numbers')
export class NumbersController {
  constructor(
    private readonly numbers: NumbersService,
    private readonly callsService: CallsService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: 'Numbers', summary: 'Add a phone number on one of your trunks (unique on that trunk)', body: PhoneNumberCreate, response: PhoneNumber, status: 201, errors: [409] })
  async create(@AccountId() accountId: string, @ValidBody() body: PhoneNumberCreate) {
    const row = await this.numbers.create(accountId, body);
    return (await this.numbers.views(accountId, [row]))[0];
  }

  @Get()
  @ApiRoute({ tag: 'Numbers', summary: 'List phone numbers', query: Pagination, response: listOf(PhoneNumber) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.numbers.list(accountId, query);
    return list(await this.numbers.views(accountId, page.rows), page.hasMore);
  }

  @Get(':id')
  @ApiRoute({ tag: 'Numbers', summary: 'Get a phone number', response: PhoneNumber })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return (await this.numbers.views(accountId, [await this.numbers.get(accountId, id)]))[0];
  }

  @Get(':id/calls')
  @ApiRoute({ tag: 'Numbers', summary: "List the calls placed from or answered on this number", query: NumberCallsQuery, response: listOf(Call) })
  async calls(@AccountId() accountId: string, @Param('id') id: string, @ValidQuery() query: z.infer<typeof NumberCallsQuery>) {
    const number = await this.numbers.get(accountId, id);
    return this.callsService.list(accountId, query, { number: number.number });
  }

  @Patch(':id')
  @ApiRoute({ tag: 'Numbers', summary: 'Update a phone number', body: PhoneNumberUpdate, response: PhoneNumber, errors: [409] })
  async update(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: PhoneNumberUpdate) {
    const row = await this.numbers.update(accountId, id, body);
    return (await this.numbers.views(accountId, [row]))[0];
  }

  @Delete(':id')
  @ApiRoute({ tag: 'Numbers', summary: 'Delete a phone number no agent uses', response: Deleted, errors: [409] })
  async delete(@AccountId() accountId: string, @Param('id') id: string) {
    await this.numbers.delete(accountId, id);
    return { id, object: 'phone_number' as const, deleted: true as const };
  }
}
