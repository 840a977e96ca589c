import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ComposeFile, interpolate, readComposeRaw } from './compose';
import { envRecord, parseEnvFile } from './dotenv';

/** The repository root. */
export const ROOT = resolve(__dirname, '../../..');
export const path = (...parts: string[]) => join(ROOT, ...parts);
export const read = (...parts: string[]) => readFileSync(path(...parts), 'utf8');

export const envExample = () => parseEnvFile(path('.env.example'));

/** docker-compose.yml as `docker compose` would see it with .env copied from .env.example (and `overrides` on top). */
export function composeWithEnv(overrides: Record<string, string> = {}): { compose: ComposeFile; referenced: Set<string> } {
  const env = { ...envRecord(envExample()), ...overrides };
  const { doc, referenced } = interpolate(readComposeRaw(path('docker-compose.yml')) as ComposeFile, env);
  return { compose: doc, referenced };
}

/** Compose services built from the repository's root Dockerfile: the Parley processes. */
export function parleyServices(compose: ComposeFile): [string, ComposeFile['services'][string]][] {
  return Object.entries(compose.services).filter(([, s]) => typeof s.build === 'object' && s.build.context === '.');
}
