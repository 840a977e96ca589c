import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { createDataSource, dataSourceOptions, DEFAULT_DATABASE_URL, ensureDatabaseExists, openDatabase } from './data-source';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { dropDatabase, testDatabaseUrl } from './test-database';

// How every service connects: the options it gets, and openDatabase against real Postgres (creates the database,
// migrates it once however many processes start at the same time).

const opened: DataSource[] = [];
const created: string[] = [];
const freshUrl = () => {
  const url = testDatabaseUrl('parley_ds');
  created.push(url);
  return url;
};

afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await Promise.all(opened.map((ds) => ds.destroy().catch(() => undefined)));
  await Promise.all(created.map(dropDatabase));
});

describe('dataSourceOptions', () => {
  it('takes the URL given, else DATABASE_URL, else the local default', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://env@db:5432/from_env');
    expect(dataSourceOptions({ url: 'postgres://given@db:5432/given' })).toMatchObject({ url: 'postgres://given@db:5432/given' });
    expect(dataSourceOptions()).toMatchObject({ url: 'postgres://env@db:5432/from_env' });
    vi.stubEnv('DATABASE_URL', undefined);
    expect(dataSourceOptions()).toMatchObject({ url: DEFAULT_DATABASE_URL });
  });

  it('maps every entity and migration, never synchronizes or migrates by itself, and sizes the pool', () => {
    const options = dataSourceOptions({ url: 'postgres://x@db/y', applicationName: 'parley-test' });
    expect(options).toMatchObject({ type: 'postgres', synchronize: false, migrationsRun: false, applicationName: 'parley-test', extra: { max: 10 } });
    expect(options.entities).toBe(ENTITIES);
    expect(options.migrations).toBe(MIGRATIONS);
    expect(dataSourceOptions({ poolSize: 3 }).extra).toEqual({ max: 3 });
  });
});

describe('openDatabase', () => {
  it('creates a missing database and migrates it, named in pg_stat_activity as asked', async () => {
    const url = freshUrl();
    const ds = await openDatabase({ url, applicationName: 'parley-ds-test', poolSize: 2 });
    opened.push(ds);
    expect(await ds.showMigrations()).toBe(false);
    const [me] = await ds.query(`SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
    expect(me.application_name).toBe('parley-ds-test');
  });

  it('with migrate: false neither creates the database nor migrates it', async () => {
    const url = freshUrl();
    await expect(openDatabase({ url, migrate: false })).rejects.toThrow(/does not exist/);
    await ensureDatabaseExists(url);
    const ds = await openDatabase({ url, migrate: false });
    opened.push(ds);
    expect(await ds.query(`SELECT to_regclass('public.calls') AS t`)).toEqual([{ t: null }]);
  });

  it('migrates once when several processes start on a new database at the same time', async () => {
    const url = freshUrl();
    const all = await Promise.all([1, 2, 3].map(() => openDatabase({ url, poolSize: 2 })));
    opened.push(...all);
    const rows: Array<{ name: string; n: string }> = await all[0]!.query(`SELECT name, count(*) AS n FROM migrations GROUP BY name`);
    expect(rows.map((r) => r.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  });
});

describe('ensureDatabaseExists', () => {
  it('is idempotent, and refuses a database name it would have to quote', async () => {
    const url = freshUrl();
    await Promise.all([ensureDatabaseExists(url), ensureDatabaseExists(url)]);
    await ensureDatabaseExists(url);
    const ds = createDataSource({ url, poolSize: 1 });
    opened.push(await ds.initialize());
    expect(await ds.query(`SELECT current_database() AS d`)).toEqual([{ d: new URL(url).pathname.slice(1) }]);
    const odd = new URL(url);
    odd.pathname = '/parley"; DROP DATABASE postgres; --';
    await expect(ensureDatabaseExists(odd.toString())).rejects.toThrow(/unusual name/);
  });
});
