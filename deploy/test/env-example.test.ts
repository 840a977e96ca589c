import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ApiConfigSchema, loadApiConfig } from '../../apps/api/src/config';
import { DialerConfigSchema, loadDialerConfig } from '../../apps/dialer/src/config';
import { ExtractorConfigSchema, loadExtractorConfig } from '../../apps/extractor/src/config';
import { loadMediaConfig, MediaConfigSchema } from '../../apps/media/src/config';
import { loadWebhooksConfig, WebhooksConfigSchema } from '../../apps/webhooks/src/config';
import { envRecord } from './support/dotenv';
import { composeWithEnv, envExample, path, read } from './support/repo';

const entries = envExample();
const env = envRecord(entries);

/** One variable of a service's zod config schema. */
interface EnvField {
  safeParse(input: unknown): { success: boolean; data?: unknown };
}

/** Every service's config schema (env var names are its keys) and its loader, which also runs cross-field checks. */
const SERVICES: Record<string, { schema: { shape: Record<string, EnvField> }; load: (e: NodeJS.ProcessEnv) => unknown }> = {
  api: { schema: ApiConfigSchema, load: loadApiConfig },
  dialer: { schema: DialerConfigSchema, load: loadDialerConfig },
  media: { schema: MediaConfigSchema, load: loadMediaConfig },
  extractor: { schema: ExtractorConfigSchema, load: loadExtractorConfig },
  webhooks: { schema: WebhooksConfigSchema, load: loadWebhooksConfig },
};

/** Source of every process in the image and of the packages they load (tests, benches and test helpers aside). */
const IMAGE_SOURCES = ['apps/api', 'apps/dialer', 'apps/media', 'apps/extractor', 'apps/webhooks', 'packages/asterisk-sim', 'packages/sandbox-llm', 'packages/service-kit', 'packages/db', 'packages/common', 'packages/audio', 'packages/ari-client'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path(dir), { withFileTypes: true }).flatMap((d) => {
    const rel = `${dir}/${d.name}`;
    if (d.isDirectory()) return ['testing', 'bench', 'test'].includes(d.name) ? [] : sourceFiles(rel);
    return /\.ts$/.test(d.name) && !/\.(test|d)\.ts$|^bench\.ts$|^test-/.test(d.name) ? [rel] : [];
  });
}

/** Files that read process.env directly rather than through a config schema (the simulator, the sandbox model...). */
const PROCESS_ENV_READERS = IMAGE_SOURCES.flatMap((p) => sourceFiles(`${p}/src`)).filter((f) => /process\.env/.test(read(f)));

function envReadsOf(file: string): string[] {
  const src = read(file);
  const names = new Set<string>();
  for (const m of src.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  // `const env = process.env; env.SIM_PORT`
  if (/const env = process\.env/.test(src)) for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  return [...names];
}

describe('.env.example', () => {
  it('is plain KEY=VALUE lines, each key once, each with a comment above it', () => {
    expect(entries.length).toBeGreaterThan(50);
    const seen = new Set<string>();
    for (const e of entries) {
      expect(seen.has(e.key), `${e.key} appears twice`).toBe(false);
      seen.add(e.key);
      expect(e.comment, `${e.key} (line ${e.line}) has no comment`).not.toBe('');
    }
  });

  it("has every variable every service's config schema declares", () => {
    const missing = Object.entries(SERVICES)
      .map(([service, { schema }]) => [service, Object.keys(schema.shape).filter((k) => !(k in env))] as const)
      .filter(([, keys]) => keys.length > 0);
    expect(Object.fromEntries(missing), 'variables the services read that .env.example lacks').toEqual({});
  });

  it('has every variable the processes read straight from process.env (the simulator, the sandbox model...)', () => {
    expect(PROCESS_ENV_READERS).toEqual(expect.arrayContaining(['packages/asterisk-sim/src/main.ts', 'packages/sandbox-llm/src/main.ts']));
    const missing = Object.fromEntries(PROCESS_ENV_READERS.map((f) => [f, envReadsOf(f).filter((k) => !(k in env))] as const).filter(([, keys]) => keys.length > 0));
    expect(missing).toEqual({});
  });

  it('has every variable docker-compose.yml interpolates', () => {
    const { referenced } = composeWithEnv();
    expect([...referenced].filter((k) => !(k in env))).toEqual([]);
  });

  it('has nothing that nobody reads', () => {
    const readers = new Set<string>([
      ...Object.values(SERVICES).flatMap(({ schema }) => Object.keys(schema.shape)),
      ...PROCESS_ENV_READERS.flatMap(envReadsOf),
      ...composeWithEnv().referenced,
    ]);
    expect(entries.map((e) => e.key).filter((k) => !readers.has(k))).toEqual([]);
  });

  it('is a configuration every service accepts at start', () => {
    for (const [service, { load }] of Object.entries(SERVICES)) {
      expect(() => load({ ...env }), service).not.toThrow();
    }
  });

  it("keeps each service's built-in default, or says in the comment why compose needs another value", () => {
    for (const [service, { schema }] of Object.entries(SERVICES)) {
      for (const [key, field] of Object.entries(schema.shape)) {
        const given = env[key] === '' ? undefined : env[key];
        const builtIn = field.safeParse(undefined);
        const ours = field.safeParse(given);
        expect(ours.success, `${key}=${env[key]} is invalid for ${service}`).toBe(true);
        // Defaults computed per process (DIALER_ID: hostname-pid) are left empty here.
        if (key === 'DIALER_ID') {
          expect(given).toBeUndefined();
          continue;
        }
        if (builtIn.success && isDeepStrictEqual(builtIn.data, ours.data)) continue;
        const comment = entries.find((e) => e.key === key)!.comment;
        expect(comment, `${key}=${env[key]} differs from ${service}'s default ${JSON.stringify(builtIn.success ? builtIn.data : undefined)}; the comment must name the built-in default`).toMatch(/built-in default/);
      }
    }
  });
});
