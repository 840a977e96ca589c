import { Agent, setGlobalDispatcher } from 'undici';
import { startBenchApi } from './bench-api';
import { runLoad } from './load';

/**
 * `pnpm bench api`: POST /v1/calls throughput and latency at a fixed concurrency against a running api (its own
 * process, database and NATS namespace), next to GET /healthz measured the same way as the baseline of this machine.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

async function main() {
  setGlobalDispatcher(new Agent({ connections: CONCURRENCY * 2, pipelining: 1, keepAliveTimeout: 30_000 }));
  const api = await startBenchApi();
  const { url, auth, ds: dataSource } = api;
  try {
    const body = JSON.stringify({ agent_id: api.agentId, to: '+15550002000', context: { name: 'Maria Lopez' }, metadata: { source: 'bench' } });
    const createCall = async () => (await fetch(`${url}/v1/calls`, { method: 'POST', headers: auth, body }).then(async (r) => (await r.arrayBuffer(), r.status === 201)));
    const healthz = async () => (await fetch(`${url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok)));
    await runLoad({ concurrency: CONCURRENCY, durationMs: 2000, request: createCall }); // warm-up
    const baseline = await runLoad({ concurrency: CONCURRENCY, durationMs: Math.min(DURATION_MS, 5000), request: healthz });
    const calls = await runLoad({ concurrency: CONCURRENCY, durationMs: DURATION_MS, request: createCall });
    const rows = Number((await dataSource.query('SELECT count(*) AS n FROM calls'))[0].n);
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
    await api.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
