import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL, openDatabase } from './data-source';

/**
 * A fresh, migrated database for one test file, dropped by `drop()`. Tests run in parallel against one Postgres,
 * so each gets its own database rather than sharing tables.
 */
export async function createTestDatabase(prefix = 'parley_test'): Promise<{ url: string; dataSource: DataSource; drop(): Promise<void> }> {
  const base = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  base.pathname = `/${name}`;
  const url = base.toString();
  const dataSource = await openDatabase({ url, poolSize: 5 });
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      const admin = new URL(url);
      admin.pathname = '/postgres';
      const ds = new DataSource({ type: 'postgres', url: admin.toString() });
      await ds.initialize();
      try {
        await ds.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await ds.destroy();
      }
    },
  };
}
