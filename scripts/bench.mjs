#!/usr/bin/env node
// `pnpm bench [api|dialer|media|voice|conversation-webhook|campaigns|webhooks ...]`: runs each app's own benchmark
// script (one JSON object on stdout each) and prints one JSON document with every result, each figure next to its goal.
// With no name, all but `voice` (conversational latency with the real engines, minutes), `conversation-webhook`, `campaigns`, `console` and `scale`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Benchmark name -> the package and its script, or several whose results are merged. */
const TARGETS = {
  api: ['apps/api', 'bench'],
  dialer: ['apps/dialer', 'bench'],
  media: ['apps/media', 'bench'],
  voice: ['apps/media', 'bench:voice'],
  'conversation-webhook': ['apps/media', 'bench:conversation-webhook'],
  webcalls: ['apps/media', 'bench:webcalls'],
  // The import and the scheduler alone (api), then a campaign through the whole product (pacing, refill lag).
  campaigns: [
    ['apps/api', 'bench:campaigns'],
    ['e2e', 'bench:campaign-dispatch'],
  ],
  webhooks: ['apps/webhooks', 'bench'],
  // The console's calls list in Chromium with 10,000 calls, against 10 in the same run.
  console: ['e2e', 'bench:console'],
  // One dialer and one media process, then two dialers, three media processes and a 3-node NATS: calls held, placement, kill -9.
  scale: ['e2e', 'bench:scale'],
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

async function run(target) {
  const parts = Array.isArray(TARGETS[target][0]) ? TARGETS[target] : [TARGETS[target]];
  const results = [];
  for (const [pkgDir, script] of parts) results.push(await runScript(pkgDir, script));
  if (results.length === 1) return results[0];
  const failed = results.find((r) => r.error);
  return failed ?? Object.assign({}, ...results.map(({ benchmark, ...r }) => ({ [benchmark]: r })));
}

function runScript(pkgDir, script) {
  const dir = join(root, pkgDir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.[script]) return Promise.resolve({ error: `${pkgDir} has no ${script} script` });
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
