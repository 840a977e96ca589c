import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
  line: number;
}

/** Dockerfile instructions with `\` continuations joined and comment lines dropped, grouped into build stages. */
export function readDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer !== '' && line.startsWith('#')) return;
    if (buffer === '') start = i + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(buffer);
    if (!m) throw new Error(`${path}:${start}: not an instruction: ${buffer}`);
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buffer = '';
  });
  if (buffer !== '') throw new Error(`${path}: ends inside a continued instruction`);

  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`${path}:${ins.line}: bad FROM ${ins.args}`);
      stages.push({ image: m[1]!, name: m[2] ?? null, instructions: [], line: ins.line });
    } else {
      if (stages.length === 0 && ins.keyword !== 'ARG') throw new Error(`${path}:${ins.line}: ${ins.keyword} before FROM`);
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** Packages named by `apt-get install` in a stage's RUN instructions. */
export function aptPackages(stage: Stage): string[] {
  const out: string[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'RUN') continue;
    for (const m of ins.args.matchAll(/apt-get install((?:\s+(?!&&)\S+)+)/g)) {
      out.push(...m[1]!.trim().split(/\s+/).filter((w) => !w.startsWith('-')));
    }
  }
  return out;
}

/** Images whose exact releases are numbered MAJOR.MINOR (PostgreSQL 10 and later: 16.10 is a patch release of 16). */
const MAJOR_MINOR_RELEASES = new Set(['postgres']);

/**
 * An image pulled at an exact release: a digest, or a tag holding a full version (`2.11.9-alpine`, `20.20.2-slim`) or
 * a date stamp (`bookworm-20251229-slim`); never `latest` and never a floating major or minor (`20-slim`, `2.11`).
 */
export function isPinnedImage(ref: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const tag = imageTag(ref);
  if (!tag || /(^|-)latest($|-)/.test(tag)) return false;
  if (/^v?\d+\.\d+\.\d+($|-)/.test(tag) || /(^|-)\d{8}($|-)/.test(tag)) return true;
  const name = ref.split(':')[0]!.split('/').at(-1)!;
  return MAJOR_MINOR_RELEASES.has(name) && /^\d{2,}\.\d+($|-)/.test(tag);
}

export function imageTag(ref: string): string | null {
  const m = /^(?:[^/]+\/)*[^/:@]+:([^/:@]+)(?:@sha256:[0-9a-f]{64})?$/.exec(ref);
  return m ? m[1]! : null;
}

/**
 * Whether `docker build` leaves a file out of the context, by .dockerignore rules: patterns in Go's filepath.Match
 * syntax plus `**`, matched against the path and each of its parent directories, `!` re-includes, last match wins.
 */
export function dockerIgnores(dockerignore: string, file: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) if (candidates.some((c) => rule.re.test(c))) ignored = !rule.negate;
  return ignored;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, including none.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
