import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { runMigrations } from '../data-source';
import { createTestDatabase } from '../test-database';
import { MIGRATIONS } from './index';

// The migrations against real Postgres: all of them up on a fresh database, all of them down to nothing, and up
// again to the very same schema; and the entities naming only columns the migrations made.

/** What the migrations made: tables and columns, indexes, constraints, triggers, functions, sequences. */
async function schema(ds: DataSource): Promise<Record<string, string[]>> {
  const rows = async (sql: string) => ((await ds.query(sql)) as Array<{ d: string }>).map((r) => r.d).sort();
  return {
    columns: await rows(
      `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS d
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    ),
    indexes: await rows(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migrations'`),
    constraints: await rows(
      `SELECT c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) AS d
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relname <> 'migrations'`,
    ),
    triggers: await rows(`SELECT pg_get_triggerdef(t.oid) AS d FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal`),
    functions: await rows(`SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`),
    sequences: await rows(`SELECT sequence_name AS d FROM information_schema.sequences WHERE sequence_schema = 'public' AND sequence_name <> 'migrations_id_seq'`),
  };
}

const applied = async (ds: DataSource) => ((await ds.query(`SELECT name FROM migrations ORDER BY id`)) as Array<{ name: string }>).map((r) => r.name);

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('parley_migrations');
});
afterAll(async () => {
  await db?.drop();
});

describe('migrations', () => {
  it('list every migration file, in the order of their timestamps', () => {
    const files = readdirSync(__dirname).filter((f) => /^\d+-.+\.ts$/.test(f) && !f.endsWith('.test.ts'));
    const stamp = (name: string) => Number(/(\d{13})$/.exec(name)![1]);
    expect(MIGRATIONS.map((m) => stamp(m.name)).sort((a, b) => a - b)).toEqual(files.map((f) => Number(f.split('-')[0])).sort((a, b) => a - b));
    expect(MIGRATIONS.map((m) => stamp(m.name))).toEqual(MIGRATIONS.map((m) => stamp(m.name)).sort((a, b) => a - b));
  });

  it('all run up on a fresh database, each once and in order, and a second run finds nothing to do', async () => {
    expect(await applied(db.dataSource)).toEqual(MIGRATIONS.map((m) => m.name));
    await runMigrations(db.dataSource);
    expect(await applied(db.dataSource)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it('every column an entity maps exists in the migrated table', async () => {
    const columns = new Set(
      ((await db.dataSource.query(`SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`)) as Array<{ c: string }>).map(
        (r) => r.c,
      ),
    );
    const mapped = db.dataSource.entityMetadatas.flatMap((e) => e.columns.map((c) => `${e.tableName}.${c.databaseName}`));
    expect(mapped.length).toBeGreaterThan(50);
    expect(mapped.filter((c) => !columns.has(c))).toEqual([]);
  });

  it('all go down again, to an empty schema, and back up to the same schema', async () => {
    const up = await schema(db.dataSource);
    expect(up.columns.length).toBeGreaterThan(50);
    for (let i = 0; i < MIGRATIONS.length; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await applied(db.dataSource)).toEqual([]);
    expect(await schema(db.dataSource)).toEqual({ columns: [], indexes: [], constraints: [], triggers: [], functions: [], sequences: [] });
    await runMigrations(db.dataSource);
    expect(await schema(db.dataSource)).toEqual(up);
  });
});
