#!/usr/bin/env node
// `pnpm start`: every Parley service in the foreground, plus the Asterisk simulator behind the `sandbox` trunk and,
// when no LLM_BASE_URL is set, the scripted sandbox model. Lines are prefixed with the process name; Ctrl-C stops
// everything gracefully (SIGTERM, then SIGKILL after the shutdown timeout).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function processes(env = process.env) {
  const list = [
    { name: 'asterisk-sim', entry: 'packages/asterisk-sim/dist/main.js' },
    ...(env.LLM_BASE_URL ? [] : [{ name: 'sandbox-llm', entry: 'packages/sandbox-llm/dist/main.js' }]),
    { name: 'api', entry: 'apps/api/dist/main.js' },
    { name: 'dialer', entry: 'apps/dialer/dist/main.js' },
    { name: 'media', entry: 'apps/media/dist/main.js' },
    { name: 'extractor', entry: 'apps/extractor/dist/main.js' },
    { name: 'webhooks', entry: 'apps/webhooks/dist/main.js' },
  ];
  return list;
}

function prefixLines(name, stream, out) {
  let buf = '';
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.write(`${name.padEnd(12)} | ${buf.slice(0, i)}\n`);
      buf = buf.slice(i + 1);
    }
  });
}

function main() {
  const env = { ...process.env };
  if (!env.LLM_BASE_URL) {
    env.LLM_BASE_URL = `http://127.0.0.1:${env.SANDBOX_LLM_PORT ?? 8191}/v1`;
    process.stderr.write(`start: no LLM_BASE_URL set: using the scripted sandbox model at ${env.LLM_BASE_URL} (canned replies, not a real model)\n`);
  }
  const children = [];
  for (const p of processes(process.env)) {
    const entry = join(root, p.entry);
    if (!existsSync(entry)) {
      process.stderr.write(`start: ${p.entry} is missing; run \`pnpm build\` first\n`);
      process.exit(1);
    }
    const child = spawn(process.execPath, [entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    prefixLines(p.name, child.stdout, process.stdout);
    prefixLines(p.name, child.stderr, process.stderr);
    child.on('exit', (code, signal) => {
      process.stderr.write(`start: ${p.name} exited (${signal ?? code})\n`);
      if (!stopping) stop(1);
    });
    children.push(child);
  }
  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    const killer = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), Number(env.SHUTDOWN_TIMEOUT_MS ?? 15000) + 2000);
    killer.unref();
    Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
