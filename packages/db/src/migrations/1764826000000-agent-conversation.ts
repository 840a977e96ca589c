import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who answers an agent's callers: its model (`hosted`, every existing agent) or the customer's endpoint (`webhook`). */
export class AgentConversation1764826000000 implements MigrationInterface {
  name = 'AgentConversation1764826000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agents ADD COLUMN conversation jsonb NOT NULL DEFAULT '{"mode":"hosted"}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agents DROP COLUMN conversation`);
  }
}
