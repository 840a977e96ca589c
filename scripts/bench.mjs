#!/usr/bin/env node
// `pnpm bench [api|dialer|media|webhooks ...]`: runs each app's own `bench` script (one JSON object on stdout each)
// and prints one JSON document with every result, each figure next to its goal.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['api', 'dialer', 'media', 'webhooks'];

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
  const dir = join(root, 'apps', target);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.bench) return Promise.resolve({ error: `apps/${target} has no bench script` });
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', pkg.scripts.bench], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
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
const unknown = asked.filter((t) => !TARGETS.includes(t));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${TARGETS.join(', ')}\n`);
  process.exit(2);
}
const results = {};
// One at a time: they share two cores and would skew each other.
for (const t of asked.length ? asked : TARGETS) {
  process.stderr.write(`bench: ${t}...\n`);
  results[t] = await run(t);
}
process.stdout.write(JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, node: process.version }, results }, null, 2) + '\n');
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0);
