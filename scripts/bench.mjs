#!/usr/bin/env node
// `pnpm bench [api|dialer|media|webhooks ...]`: runs each app's own `bench` script (one JSON object on stdout each)
// and prints one JSON document with every result, each figure next to its goal.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['api', 'dialer', 'media', 'webhooks'];

function run(target) {
  const dir = join(root, 'apps', target);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.bench) return Promise.resolve({ error: `apps/${target} has no bench script` });
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', pkg.scripts.bench], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      try {
        resolve(code === 0 ? JSON.parse(out) : { error: `exit code ${code}`, output: out.trim() });
      } catch {
        resolve({ error: 'benchmark did not print JSON', output: out.trim() });
      }
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
