import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NOTIFY `parley_config_changed` with the account id whenever something a new call is built from changes (agents,
 * phone numbers, trunks, or whether/at what rate an account is billed), from whichever process writes it (api, CLI,
 * psql). Caches of that configuration listen and evict the account. Balance movements alone do not notify.
 */
export class ConfigChangeNotifications1763980000000 implements MigrationInterface {
  name = 'ConfigChangeNotifications1763980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION parley_notify_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('parley_config_changed', (CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END)::text);
        RETURN NULL;
      END $$;
      CREATE FUNCTION parley_notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('parley_config_changed', NEW.id::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER agents_config_changed AFTER INSERT OR UPDATE OR DELETE ON agents FOR EACH ROW EXECUTE FUNCTION parley_notify_config_changed();
      CREATE TRIGGER phone_numbers_config_changed AFTER INSERT OR UPDATE OR DELETE ON phone_numbers FOR EACH ROW EXECUTE FUNCTION parley_notify_config_changed();
      CREATE TRIGGER trunks_config_changed AFTER INSERT OR UPDATE OR DELETE ON trunks FOR EACH ROW EXECUTE FUNCTION parley_notify_config_changed();
      CREATE TRIGGER accounts_billing_changed AFTER UPDATE ON accounts FOR EACH ROW
        WHEN ((OLD.balance_milli_cents IS NULL) IS DISTINCT FROM (NEW.balance_milli_cents IS NULL)
           OR OLD.rate_milli_cents_per_minute IS DISTINCT FROM NEW.rate_milli_cents_per_minute
           OR OLD.billing_increment_seconds IS DISTINCT FROM NEW.billing_increment_seconds
           OR OLD.billing_minimum_seconds IS DISTINCT FROM NEW.billing_minimum_seconds)
        EXECUTE FUNCTION parley_notify_account_changed();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER accounts_billing_changed ON accounts;
      DROP TRIGGER trunks_config_changed ON trunks;
      DROP TRIGGER phone_numbers_config_changed ON phone_numbers;
      DROP TRIGGER agents_config_changed ON agents;
      DROP FUNCTION parley_notify_account_changed();
      DROP FUNCTION parley_notify_config_changed();
    `);
  }
}
