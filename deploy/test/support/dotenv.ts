import { readFileSync } from 'node:fs';

export interface EnvEntry {
  key: string;
  value: string;
  /** The comment lines right above the assignment. */
  comment: string;
  line: number;
}

/**
 * Reads .env.example the way `docker compose` reads an env_file: `KEY=VALUE` per line, `#` comment lines, blank
 * lines. Quotes, `export` and inline comments are refused: the file keeps to the subset every reader agrees on.
 */
export function parseEnvFile(path: string): EnvEntry[] {
  const entries: EnvEntry[] = [];
  let comment: string[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trimEnd();
      if (line === '') {
        comment = [];
        return;
      }
      if (line.startsWith('#')) {
        comment.push(line.replace(/^#\s?/, ''));
        return;
      }
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!m) throw new Error(`${path}:${i + 1}: not KEY=VALUE: ${line}`);
      const value = m[2]!;
      if (/^["']/.test(value) || /\s#/.test(value)) throw new Error(`${path}:${i + 1}: quotes or an inline comment in ${m[1]}`);
      entries.push({ key: m[1]!, value, comment: comment.join(' '), line: i + 1 });
      comment = [];
    });
  return entries;
}

export function envRecord(entries: EnvEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}
