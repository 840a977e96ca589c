import { readFileSync } from 'node:fs';
import { startBenchApi } from './bench-api';

/**
 * `pnpm bench campaigns`: a 100,000-row CSV of recipients imported into a campaign (time, rows per second, the api
 * process's peak memory against its memory before), with 10,000 rows imported the same way as the baseline; then the
 * scheduler placing a started campaign's calls (CAMPAIGN_TICK_MS=100, 500 lines on a trunk of 1,000, no dialer: the calls stay queued)
 * against POST /v1/calls' own rate from `pnpm bench api`, and its CPU per 1,000 calls. The dialer's pacing at a
 * trunk's calls_per_second is the dialer's and is measured by `pnpm bench dialer`.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

/** The child's resident memory now and its peak (VmHWM), in MB, and its CPU seconds so far. */
function processStats(pid: number): { rssMb: number; peakMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakMb: Math.round(kb('VmHWM') / 102.4) / 10, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
}

async function main() {
  const api = await startBenchApi({ CAMPAIGN_TICK_MS: '100' });
  const { url, auth } = api;
  const pid = api.child.pid!;
  try {
    // A trunk of 1,000 lines (the sandbox's 50 would bind first): a campaign takes only its trunk's idle lines.
    const post = async (path: string, body: unknown) => (await (await fetch(`${url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) })).json()) as { id: string };
    const trunk = await post('/v1/trunks', { name: 'carrier', host: 'sip.example.com', max_concurrent_calls: 1000 });
    const number = await post('/v1/numbers', { number: '+15550002000', trunk_id: trunk.id });
    const agent = await post('/v1/agents', { name: 'Campaign bench', type: 'outbound', instructions: 'Confirm {{name}}.', number_ids: [number.id] });
    const campaign = async (maxConcurrent: number) =>
      (
        (await (
          await fetch(`${url}/v1/campaigns`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ name: 'bench', agent_id: agent.id, max_concurrent_calls: maxConcurrent, schedule: { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' } } }),
          })
        ).json()) as { id: string }
      ).id;
    const csv = (rows: number, offset: number) => `to,name,appointment\n${Array.from({ length: rows }, (_, i) => `+1555${String(offset + i).padStart(7, '0')},Patient ${i},"Tue, 3 pm"`).join('\n')}\n`;
    const importRows = async (rows: number, offset: number) => {
      const id = await campaign(500);
      const body = csv(rows, offset);
      const t0 = performance.now();
      const res = (await (await fetch(`${url}/v1/campaigns/${id}/recipients`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body })).json()) as { accepted: number };
      const ms = performance.now() - t0;
      if (res.accepted !== rows) throw new Error(`imported ${res.accepted} of ${rows}`);
      return { id, rows, bytes: body.length, ms: Math.round(ms), rows_per_second: Math.round(rows / (ms / 1000)) };
    };

    const start = processStats(pid);
    const baseline = await importRows(ROWS / 10, 0);
    const before = processStats(pid);
    const big = await importRows(ROWS, 1_000_000);
    const after = processStats(pid);

    // The scheduler places the big campaign's calls, up to its 500 lines.
    const cpu0 = processStats(pid).cpuSeconds;
    const t0 = performance.now();
    const started = await fetch(`${url}/v1/campaigns/${big.id}/start`, { method: 'POST', headers: { authorization: auth.authorization! } });
    if (!started.ok) throw new Error(`start: ${started.status} ${await started.text()}`);
    let placed = 0;
    while (placed < 500 && performance.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
      placed = ((await (await fetch(`${url}/v1/campaigns/${big.id}`, { headers: auth })).json()) as { progress: { calls_placed: number } }).progress.calls_placed;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = processStats(pid).cpuSeconds - cpu0;

    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'campaigns',
          import: {
            rows: big.rows,
            csv_mb: Math.round(big.bytes / 104857.6) / 10,
            ms: big.ms,
            rows_per_second: big.rows_per_second,
            api_rss_mb_before: before.rssMb,
            api_rss_mb_after: after.rssMb,
            api_peak_rss_mb: after.peakMb,
            goal: { ms: '< 10000' },
            meets_goal: big.ms < 10_000,
          },
          baseline_import: { rows: baseline.rows, ms: baseline.ms, rows_per_second: baseline.rows_per_second, api_rss_mb_before: start.rssMb, api_peak_rss_mb: before.peakMb },
          import_rate_vs_baseline: Math.round((big.rows_per_second / baseline.rows_per_second) * 1000) / 1000,
          scheduler: { calls_placed: placed, seconds: Math.round(seconds * 10) / 10, calls_per_second: Math.round(placed / seconds), api_cpu_seconds_per_1000_calls: Math.round((cpu / placed) * 1000 * 100) / 100 },
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
  process.stderr.write(`bench campaigns failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
