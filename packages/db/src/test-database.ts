import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL, openDatabase } from './data-source';

/** The URL of a database of its own (a random name after `prefix`) on the Postgres of DATABASE_URL; not created yet. */
export function testDatabaseUrl(prefix = 'parley_test'): string {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  url.pathname = `/${prefix}_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

/** Drops the database of `url`, whoever is still connected to it. */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const ds = new DataSource({ type: 'postgres', url: admin.toString() });
  await ds.initialize();
  try {
    await ds.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await ds.destroy();
  }
}

/**
 * A fresh, migrated database for one test file, dropped by `drop()`. Tests run in parallel against one Postgres,
 * so each gets its own database rather than sharing tables.
 */
export async function createTestDatabase(prefix = 'parley_test'): Promise<{ url: string; dataSource: DataSource; drop(): Promise<void> }> {
  const url = testDatabaseUrl(prefix);
  const dataSource = await openDatabase({ url, poolSize: 5 });
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropDatabase(url);
    },
  };
}
