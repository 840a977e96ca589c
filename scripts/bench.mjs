#!/usr/bin/env node
// `pnpm bench [api|dialer|media|voice|conversation-webhook|campaigns|webhooks ...]`: runs each app's own benchmark
// script (one JSON object on stdout each) and prints one JSON document with every result, each figure next to its goal.
// With no name, all but `voice` (conversational latency with the real engines, minutes), `conversation-webhook` and `campaigns`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Benchmark name -> the app and its package script. */
const TARGETS = {
  api: ['api', 'bench'],
  dialer: ['dialer', 'bench'],
  media: ['media', 'bench'],
  voice: ['media', 'bench:voice'],
  'conversation-webhook': ['media', 'bench:conversation-webhook'],
  campaigns: ['api', 'bench:campaigns'],
  webhooks: ['webhooks', 'bench'],
};
const DEFAULT_TARGETS = ['api', 'dialer', 'media', 'webhooks'];

/** The benchmark's JSON result: the whole output, or else its last line that is a JSON object (log lines may precede it). */
function lastJsonObject(out) {
  try {
    return JSON.parse(out);
  } catch {
    for (const line of out.trim().split('\n').reverse()) {
      try {
        const v = JSON.parse(line);
        if (v && typeof v === 'object' && !Array.isArray(v) && !('level' in v)) return v;
      } catch {
        // not JSON
      }
    }
    return null;
  }
}

function run(target) {
  const [app, script] = TARGETS[target];
  const dir = join(root, 'apps', app);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.[script]) return Promise.resolve({ error: `apps/${app} has no ${script} script` });
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', pkg.scripts[script]], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) return resolve({ error: `exit code ${code}`, output: out.trim() });
      const result = lastJsonObject(out);
      resolve(result ?? { error: 'benchmark did not print JSON', output: out.trim() });
    });
  });
}

const asked = process.argv.slice(2);
const unknown = asked.filter((t) => !(t in TARGETS));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(TARGETS).join(', ')}\n`);
  process.exit(2);
}
const results = {};
// One at a time: they share two cores and would skew each other.
for (const t of asked.length ? asked : DEFAULT_TARGETS) {
  process.stderr.write(`bench: ${t}...\n`);
  results[t] = await run(t);
}
process.stdout.write(JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, node: process.version }, results }, null, 2) + '\n');
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0);
