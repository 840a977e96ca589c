#!/usr/bin/env node
// `pnpm start`: every Parley service in the foreground on its documented port (api on 127.0.0.1:3000; API_PORT,
// SIM_PORT, DIALER_PORT, ... and every other variable set in the environment are honoured), plus the Asterisk simulator
// behind the `sandbox` trunk and, when no LLM_BASE_URL is set, the scripted sandbox model.
// Lines are prefixed with the process name. Like compose's `restart: unless-stopped`, a service that exits on its own
// is restarted (after 1 s, doubling to 30 s while it keeps crashing) and the others keep running; only Ctrl-C (or
// SIGTERM) stops everything, gracefully.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { launchPlatform } = createRequire(join(root, 'packages/launcher/package.json'))('./dist/index.js');

if (!process.env.LLM_BASE_URL) {
  process.stderr.write('start: no LLM_BASE_URL set: starting the scripted sandbox model (canned replies, not a real model)\n');
}
let platform = null;
let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await platform?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

platform = await launchPlatform({
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  namespace: process.env.NATS_NAMESPACE ?? '',
  ports: 'default',
  llmBaseUrl: process.env.LLM_BASE_URL,
  onLog: (name, line, stream) => (stream === 'stderr' ? process.stderr : process.stdout).write(`${name.padEnd(12)} | ${line}\n`),
  restart: { minDelayMs: 1000, maxDelayMs: 30_000, stableAfterMs: 60_000 },
  onExit: (name, code, signal) => process.stderr.write(`start: ${name} exited (${signal ?? `code ${code}`}); the other services keep running\n`),
  onRestart: (name, attempt, delayMs) => process.stderr.write(`start: restarting ${name} in ${delayMs / 1000} s (crash ${attempt} in a row)\n`),
}).catch((err) => {
  process.stderr.write(`start: ${err.message}\n`);
  process.exit(1);
});
process.stderr.write(`start: all services ready; api on ${platform.apiUrl}, console on ${platform.apiUrl}/console\n`);
