import { readFileSync } from 'node:fs';
import { type Account, sandboxAgent, startTestPlatform, type TestPlatform } from '../test/platform-harness';

/**
 * `pnpm bench campaigns`, its second half: a started campaign against the simulator with the real api, dialer and
 * media, on the sandbox trunk (50 lines, 20 calls per second).
 * - pacing: 300 recipients whose lines are busy at once, 50 lines: the trunk's calls per second is the only limit, so
 *   the measured origination rate is compared with it (goal: within 5%);
 * - refill: 80 recipients busy after 400 ms of ringing, 4 lines: each end frees a line, and the lag from a call's end
 *   to the next call's origination is measured (goal: p95 < 200 ms), with the api's CPU per 1,000 calls.
 * Times are the dialer's: a call's `initiated` event and its `ended_at`.
 */
const PACED = Number(process.env.BENCH_PACED ?? 300);
const REFILLED = Number(process.env.BENCH_REFILLED ?? 80);
const LINES = 4;
const EVERY_DAY = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' };

interface TimedCall {
  id: string;
  initiatedAt: number;
  endedAt: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

async function runCampaign(tp: TestPlatform, account: Account, agentId: string, numbers: string[], maxConcurrent: number): Promise<{ calls: TimedCall[]; seconds: number }> {
  const created = await tp.api(account, 'POST', '/v1/campaigns', { name: 'bench', agent_id: agentId, max_concurrent_calls: maxConcurrent, schedule: { window: EVERY_DAY } });
  if (created.status !== 201) throw new Error(`campaign: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  const upload = await tp.api(account, 'POST', `/v1/campaigns/${id}/recipients`, numbers.map((to) => ({ to })));
  if (upload.body.accepted !== numbers.length) throw new Error(`recipients: ${JSON.stringify(upload.body)}`);
  const t0 = performance.now();
  await tp.api(account, 'POST', `/v1/campaigns/${id}/start`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const c = (await tp.api(account, 'GET', `/v1/campaigns/${id}`)).body;
    if (c.status === 'completed') break;
    if (Date.now() > deadline) throw new Error(`campaign not completed in 300 s: ${JSON.stringify(c.progress)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - t0) / 1000;
  const calls: TimedCall[] = [];
  let after = '';
  for (;;) {
    const page = (await tp.api(account, 'GET', `/v1/calls?limit=100&campaign_id=${id}${after}`)).body;
    for (const call of page.data) {
      const res = await tp.api(account, 'GET', `/v1/calls/${call.id}/events`);
      if (res.status !== 200) throw new Error(`events of ${call.id}: ${res.status} ${JSON.stringify(res.body)}`);
      const events = res.body.data as Array<{ type: string; at: string }>;
      const initiated = events.find((e) => e.type === 'initiated');
      if (!initiated || !call.ended_at) throw new Error(`call ${call.id} has no initiated event or end: ${call.status}`);
      calls.push({ id: call.id, initiatedAt: Date.parse(initiated.at), endedAt: Date.parse(call.ended_at) });
    }
    if (!page.has_more) break;
    after = `&starting_after=${page.data.at(-1).id}`;
  }
  if (calls.length !== numbers.length) throw new Error(`${calls.length} calls for ${numbers.length} recipients`);
  return { calls, seconds };
}

/** Originations per second from the first to the last. */
function originationRate(calls: TimedCall[]): number {
  const at = calls.map((c) => c.initiatedAt).sort((a, b) => a - b);
  return (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
}

/**
 * With `lines` always busy, the call started (k + lines)-th was started by the k-th end: the lag from each end to the
 * origination that filled its line.
 */
function refillLags(calls: TimedCall[], lines: number): number[] {
  const starts = calls.map((c) => c.initiatedAt).sort((a, b) => a - b);
  const ends = calls.map((c) => c.endedAt).sort((a, b) => a - b);
  const lags: number[] = [];
  for (let k = 0; k + lines < starts.length; k++) lags.push(starts[k + lines]! - ends[k]!);
  return lags.sort((a, b) => a - b);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

async function main() {
  const tp = await startTestPlatform({ LOG_LEVEL: 'warn', CAMPAIGN_TICK_MS: '1000', API_RATE_LIMIT_PER_SECOND: '100000' });
  try {
    const account = await tp.createAccount('Campaign bench');
    const { agent } = await sandboxAgent(tp, account, '+15550199000', { name: 'Bench', type: 'outbound', instructions: 'Say hello.' });
    const numbers = (offset: number, n: number) => Array.from({ length: n }, (_, i) => `+1555${String(2_000_000 + offset + i).padStart(7, '0')}`);
    const paced = numbers(0, PACED);
    const refilled = numbers(100_000, REFILLED);
    for (const n of paced) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 0 });
    for (const n of refilled) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 400 });

    const trunk = (await tp.api(account, 'GET', `/v1/trunks/${account.sandbox_trunk_id}`)).body as { calls_per_second: number; max_concurrent_calls: number };
    const pacing = await runCampaign(tp, account, agent.id, paced, trunk.max_concurrent_calls);
    const rate = originationRate(pacing.calls);

    const apiPid = tp.platform.get('api').child.pid!;
    const cpu0 = cpuSeconds(apiPid);
    const refill = await runCampaign(tp, account, agent.id, refilled, LINES);
    const cpu = cpuSeconds(apiPid) - cpu0;
    const lags = refillLags(refill.calls, LINES);
    const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'campaign-dispatch',
          pacing: {
            calls: pacing.calls.length,
            trunk_calls_per_second: trunk.calls_per_second,
            measured_calls_per_second: round(rate, 2),
            vs_trunk_cps: round(rate / trunk.calls_per_second, 3),
            goal: 'within 5% of the trunk cps',
            meets_goal: Math.abs(rate / trunk.calls_per_second - 1) <= 0.05,
          },
          refill: {
            calls: refill.calls.length,
            lines: LINES,
            lag_ms: { p50: quantile(lags, 0.5), p95: quantile(lags, 0.95), max: lags.at(-1) },
            goal: { p95_ms: '< 200' },
            meets_goal: quantile(lags, 0.95) < 200,
            api_cpu_seconds_per_1000_calls: round((cpu / refill.calls.length) * 1000, 2),
          },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await tp.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench campaign-dispatch failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
