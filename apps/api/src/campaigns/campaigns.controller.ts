import { Readable } from 'node:stream';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Campaign, CampaignCreate, CampaignRecipient, CampaignUpdate, listOf, Pagination, RecipientListQuery, RecipientsAdded, RecipientsUpload } from '@parley/common';
import type { z } from 'zod';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { type CampaignAction, CampaignsService, recipientView } from './campaigns.service';

@Controller('v1/campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: 'Campaigns', summary: 'Create a campaign (a draft: add recipients, then start it)', body: CampaignCreate, response: Campaign, status: 201 })
  async create(@AccountId() accountId: string, @ValidBody() body: CampaignCreate) {
    return this.campaigns.view(await this.campaigns.create(accountId, body));
  }

  @Get()
  @ApiRoute({ tag: 'Campaigns', summary: 'List campaigns, newest first', query: Pagination, response: listOf(Campaign) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.campaigns.list(accountId, query);
    return list(await Promise.all(page.rows.map((c) => this.campaigns.view(c))), page.hasMore);
  }

  @Get(':id')
  @ApiRoute({ tag: 'Campaigns', summary: 'A campaign with its progress (recipients by state, done ones by outcome)', response: Campaign })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return this.campaigns.view(await this.campaigns.get(accountId, id));
  }

  @Patch(':id')
  @ApiRoute({ tag: 'Campaigns', summary: 'Change a draft (any field) or a started campaign (name and metadata)', body: CampaignUpdate, response: Campaign, errors: [409] })
  async update(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: CampaignUpdate) {
    return this.campaigns.view(await this.campaigns.update(accountId, id, body));
  }

  @Post(':id/recipients')
  @HttpCode(200)
  @ApiRoute({
    tag: 'Campaigns',
    summary:
      'Add recipients: a JSON array of {to, context?, metadata?, timezone?} (up to 10,000), or any number streamed as text/csv with a "to" column (other columns become context keys) or as application/x-ndjson (one recipient object per line); each refused row is listed with its line and reason',
    body: RecipientsUpload,
    consumes: ['text/csv', 'application/x-ndjson'],
    response: RecipientsAdded,
    errors: [409],
  })
  async addRecipients(@AccountId() accountId: string, @Param('id') id: string, @Body() body: unknown, @Headers('content-type') type: string | undefined) {
    const mime = (type ?? '').split(';')[0]!.trim().toLowerCase();
    return this.campaigns.addRecipients(accountId, id, mime === 'text/csv' ? { format: 'csv', body } : mime === 'application/x-ndjson' ? { format: 'ndjson', body } : { format: 'json', body });
  }

  @Get(':id/recipients')
  @ApiRoute({ tag: 'Campaigns', summary: "A campaign's recipients with their attempts and calls, filtered by state or outcome", query: RecipientListQuery, response: listOf(CampaignRecipient) })
  async recipients(@AccountId() accountId: string, @Param('id') id: string, @ValidQuery() query: RecipientListQuery) {
    const page = await this.campaigns.recipients(accountId, id, query);
    return list(page.rows.map(recipientView), page.hasMore);
  }

  @Get(':id/recipients.csv')
  @ApiRoute({ tag: 'Campaigns', summary: "The recipients with their final outcome, last call and the result's fields in columns (result.<field>), as CSV", produces: 'text/csv' })
  async outcomes(@AccountId() accountId: string, @Param('id') id: string, @Res() reply: FastifyReply) {
    const { campaign, csv } = await this.campaigns.outcomes(accountId, id);
    void reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="campaign-${campaign.id}.csv"`)
      .send(Readable.from(csv));
  }

  @Post(':id/start')
  @HttpCode(200)
  @ApiRoute({ tag: 'Campaigns', summary: 'Start a draft: it calls from its start_at, within its calling hours', response: Campaign, errors: [409] })
  start(@AccountId() accountId: string, @Param('id') id: string) {
    return this.act(accountId, id, 'start');
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiRoute({ tag: 'Campaigns', summary: 'Pause: no new call; live calls finish', response: Campaign, errors: [409] })
  pause(@AccountId() accountId: string, @Param('id') id: string) {
    return this.act(accountId, id, 'pause');
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiRoute({ tag: 'Campaigns', summary: 'Resume a paused campaign', response: Campaign, errors: [409] })
  resume(@AccountId() accountId: string, @Param('id') id: string) {
    return this.act(accountId, id, 'resume');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiRoute({ tag: 'Campaigns', summary: 'Cancel: no new call ever; live calls finish', response: Campaign, errors: [409] })
  cancel(@AccountId() accountId: string, @Param('id') id: string) {
    return this.act(accountId, id, 'cancel');
  }

  private async act(accountId: string, id: string, action: CampaignAction) {
    return this.campaigns.view(await this.campaigns.act(accountId, id, action));
  }
}
