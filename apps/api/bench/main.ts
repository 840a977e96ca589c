import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { createTestDatabase, secretBoxFromEnv } from '@parley/db';
import { deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import { Accounts } from '../accounts/accounts';
import { runLoad } from './load';

/**
 * `pnpm bench api`: POST /v1/calls throughput and latency at a fixed concurrency against a running api (its own
 * process, database and NATS namespace), next to GET /healthz measured the same way as the baseline of this machine.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function main() {
  setGlobalDispatcher(new Agent({ connections: CONCURRENCY * 2, pipelining: 1, keepAliveTimeout: 30_000 }));
  const db = await createTestDatabase('parley_bench');
  const namespace = testNamespace();
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_API_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the api under load.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, resolve(__dirname, '../main.js')], {
    env: { ...process.env, DATABASE_URL: db.url, NATS_NAMESPACE: namespace, API_PORT: String(port), LOG_LEVEL: 'warn', API_RATE_LIMIT_PER_SECOND: '0', API_DB_POOL_SIZE: '20' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (i > 200) throw new Error('api did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const acct = await new Accounts(db.dataSource, { rateMilliCentsPerMinute: 1000, billingIncrementSeconds: 1, billingMinimumSeconds: 0, sandboxHost: '127.0.0.1' }, secretBoxFromEnv()).create('bench');
    const auth = { authorization: `Bearer ${acct.apiKey.key}`, 'content-type': 'application/json' };
    const number = (await (await fetch(`${url}/v1/numbers`, { method: 'POST', headers: auth, body: JSON.stringify({ number: '+15550001000', trunk_id: acct.sandboxTrunkId }) })).json()) as { id: string };
    const agent = (await (
      await fetch(`${url}/v1/agents`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Bench', type: 'outbound', persona: 'You are Ava.', instructions: 'Confirm {{name}}.', returns: { confirmed: 'boolean' }, number_ids: [number.id] }),
      })
    ).json()) as { id: string };
    const body = JSON.stringify({ agent_id: agent.id, to: '+15550002000', context: { name: 'Maria Lopez' }, metadata: { source: 'bench' } });
    const createCall = async () => (await fetch(`${url}/v1/calls`, { method: 'POST', headers: auth, body }).then(async (r) => (await r.arrayBuffer(), r.status === 201)));
    const healthz = async () => (await fetch(`${url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok)));
    await runLoad({ concurrency: CONCURRENCY, durationMs: 2000, request: createCall }); // warm-up
    const baseline = await runLoad({ concurrency: CONCURRENCY, durationMs: Math.min(DURATION_MS, 5000), request: healthz });
    const calls = await runLoad({ concurrency: CONCURRENCY, durationMs: DURATION_MS, request: createCall });
    const rows = Number((await db.dataSource.query('SELECT count(*) AS n FROM calls'))[0].n);
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'api',
          concurrency: CONCURRENCY,
          duration_ms: DURATION_MS,
          post_calls: { ...calls, goal: { per_second: '>= 1000', p99_ms: '< 50' }, meets_goal: calls.per_second >= 1000 && calls.p99_ms < 50 },
          baseline_get_healthz: baseline,
          post_calls_vs_baseline: Math.round((calls.per_second / baseline.per_second) * 1000) / 1000,
          calls_rows_written: rows,
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await deleteNamespaceStreams(natsUrl, namespace).catch(() => undefined);
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
