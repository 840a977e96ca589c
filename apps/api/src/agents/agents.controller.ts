import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { Agent, AgentCreate, AgentUpdate, listOf, Pagination } from '@parley/common';
import { z } from 'zod';
import { AccountId, ApiRoute, ValidBody, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { agentView } from './agent.view';
import { AgentsService } from './agents.service';

const Deleted = z.object({ id: z.string(), object: z.literal('agent'), deleted: z.literal(true) });

@Controller('v1/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({ tag: 'Agents', summary: 'Create an agent', body: AgentCreate, response: Agent, status: 201, errors: [409] })
  async create(@AccountId() accountId: string, @ValidBody() body: AgentCreate) {
    return agentView(await this.agents.create(accountId, body));
  }

  @Get()
  @ApiRoute({ tag: 'Agents', summary: 'List agents', query: Pagination, response: listOf(Agent) })
  async list(@AccountId() accountId: string, @ValidQuery() query: z.infer<typeof Pagination>) {
    const page = await this.agents.list(accountId, query);
    return list(page.rows.map(agentView), page.hasMore);
  }

  @Get(':id')
  @ApiRoute({ tag: 'Agents', summary: 'Get an agent', response: Agent })
  async get(@AccountId() accountId: string, @Param('id') id: string) {
    return agentView(await this.agents.get(accountId, id));
  }

  @Patch(':id')
  @ApiRoute({ tag: 'Agents', summary: 'Update an agent (its type is fixed)', body: AgentUpdate, response: Agent, errors: [409] })
  async update(@AccountId() accountId: string, @Param('id') id: string, @ValidBody() body: AgentUpdate) {
    return agentView(await this.agents.update(accountId, id, body));
  }

  @Delete(':id')
  @ApiRoute({ tag: 'Agents', summary: 'Delete an agent with no call in progress', response: Deleted, errors: [409] })
  async delete(@AccountId() accountId: string, @Param('id') id: string) {
    await this.agents.delete(accountId, id);
    return { id, object: 'agent' as const, deleted: true as const };
  }
}
