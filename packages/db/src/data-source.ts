import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley';

export interface DatabaseOptions {
  url?: string;
  poolSize?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

export function dataSourceOptions(opts: DatabaseOptions = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: opts.applicationName,
    extra: { max: opts.poolSize ?? 10 },
  };
}

export function createDataSource(opts: DatabaseOptions = {}): DataSource {
  return new DataSource(dataSourceOptions(opts));
}

/** Creates the database named in the URL if it does not exist (connecting to the `postgres` maintenance database). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`refusing to create database with unusual name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const ds = new DataSource({ type: 'postgres', url: admin.toString() });
  await ds.initialize();
  try {
    const rows: unknown[] = await ds.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) {
      try {
        await ds.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another process created it between the check and the create.
        if ((err as { code?: string }).code !== '42P04' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
  } finally {
    await ds.destroy();
  }
}

/** Connects, creating the database and running pending migrations (under an advisory lock, so concurrent starts are safe). */
export async function openDatabase(opts: DatabaseOptions & { migrate?: boolean } = {}): Promise<DataSource> {
  const url = opts.url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (opts.migrate !== false) await ensureDatabaseExists(url);
  const ds = createDataSource({ ...opts, url });
  await ds.initialize();
  if (opts.migrate !== false) await runMigrations(ds);
  return ds;
}

export async function runMigrations(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(727274)');
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(727274)');
    }
  } finally {
    await runner.release();
  }
}
