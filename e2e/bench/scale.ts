import { readFileSync } from 'node:fs';
import { isTerminal, metric, until } from '../test/platform-harness';
import { type ScaleRig, startScaleRig } from '../test/scale-rig';

/**
 * `pnpm bench scale`: the same answered calls held by one dialer and one media process on one NATS, then by two
 * dialers and three media processes on a 3-node NATS cluster, in the same run on this machine. Each layout:
 * - holds `BENCH_SCALE_CALLS` calls at once (far ends that answer and stay silent: the agent's engines are idle, so
 *   this is holding calls, RTP both ways and the control plane) for `BENCH_SCALE_HOLD_S` seconds, and reports the
 *   calls per process, the placement balance (max/min sessions over the media processes), CPU per process and per
 *   call, and RTP frames sent late;
 * - then a `kill -9` of a dialer: time until its calls are adopted (one dialer: restarted at once, adopting its own);
 * - then a `kill -9` of the media process holding the most calls: time until the last of its calls has ended
 *   (media_lost), p95 over its calls (goal < 5 s).
 */
const CALLS = Number(process.env.BENCH_SCALE_CALLS ?? 24);
const HOLD_S = Number(process.env.BENCH_SCALE_HOLD_S ?? 10);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function measure(layout: { dialers: number; media: number; natsCluster: boolean }) {
  const rig: ScaleRig = await startScaleRig({ ...layout, env: { LOG_LEVEL: 'warn', API_RATE_LIMIT_PER_SECOND: '100000', DIALER_DEAD_AFTER_MS: '3000', DIALER_HEARTBEAT_MS: '1000' }, mediaEnv: { MEDIA_MAX_SESSIONS: String(Math.ceil((CALLS * 1.5) / layout.media)) } });
  try {
    await rig.untilPlacementSeesAll();
    const t0 = performance.now();
    const ids = await rig.placeLive(CALLS);
    const setupS = (performance.now() - t0) / 1000;

    // Held: CPU of every dialer and media process over HOLD_S seconds, sessions and late frames per media process.
    const procs = [...rig.dialers().map((p, i) => ({ name: rig.dialerIds[i]!, p })), ...rig.medias().map((p, i) => ({ name: rig.mediaIds[i]!, p }))];
    const late0 = await Promise.all(rig.medias().map((m) => metric(m.url, 'parley_media_late_frames_total')));
    const cpu0 = procs.map(({ p }) => cpuSeconds(p.child.pid!));
    await new Promise((r) => setTimeout(r, HOLD_S * 1000));
    const cpu = procs.map(({ p }, i) => (cpuSeconds(p.child.pid!) - cpu0[i]!) / HOLD_S);
    const late = (await Promise.all(rig.medias().map((m) => metric(m.url, 'parley_media_late_frames_total')))).map((v, i) => v - late0[i]!);
    const sessions = await Promise.all(rig.medias().map((m) => metric(m.url, 'parley_media_sessions_active')));
    const owner = new Map<string, string>();
    for (const id of ids) owner.set(id, (await rig.events(id)).find((e) => e.type === 'initiated')!.data.dialer_id);
    const perDialer = rig.dialerIds.map((d) => ids.filter((id) => owner.get(id) === d).length);

    // kill -9 of the dialer owning the most calls.
    const dVictim = perDialer.indexOf(Math.max(...perDialer));
    const adopter = layout.dialers > 1 ? rig.dialers()[dVictim === 0 ? 1 : 0]! : rig.dialers()[0]!;
    const adoptedBefore = layout.dialers > 1 ? await metric(adopter.url, 'parley_dialer_adoptions_total', { result: 'adopted' }) : 0;
    const dKilledAt = Date.now();
    await rig.dialers()[dVictim]!.kill('SIGKILL');
    if (layout.dialers === 1) await rig.dialers()[0]!.restart();
    await until('the dead dialer\'s calls adopted', async () => (await metric(adopter.url, 'parley_dialer_adoptions_total', { result: 'adopted' })) - adoptedBefore >= perDialer[dVictim]!, 60_000).catch(async (err) => {
      const got = await metric(adopter.url, 'parley_dialer_adoptions_total', { result: 'adopted' });
      const endedAdoptions = await metric(adopter.url, 'parley_dialer_adoptions_total', { result: 'ended' });
      const statuses = (await Promise.all(ids.map(rig.call))).map((c) => `${c.status}/${c.error_code}`);
      throw new Error(`${(err as Error).message}: ${got - adoptedBefore} adopted and ${endedAdoptions} ended of ${perDialer[dVictim]} (per dialer ${perDialer.join('/')}); calls: ${statuses.join(', ')}`);
    });
    const adoptedMs = Date.now() - dKilledAt;
    if (layout.dialers > 1) await rig.dialers()[dVictim]!.restart();
    // The adopters learn the adopted calls' media processes (checked every second).
    await new Promise((r) => setTimeout(r, 2500));

    // kill -9 of the media process holding the most calls.
    const mVictim = sessions.indexOf(Math.max(...sessions));
    const mKilledAt = Date.now();
    await rig.medias()[mVictim]!.kill('SIGKILL');
    await until('the dead media process\'s calls ended', async () => (await Promise.all(ids.map(rig.call))).filter(isTerminal).length >= sessions[mVictim]!, 60_000);
    const ended = (await Promise.all(ids.map(rig.call))).filter(isTerminal);
    const toEnded = ended.map((c) => Date.parse(c.ended_at) - mKilledAt);
    const wrong = ended.filter((c) => c.error_code !== 'media_lost').length;
    await rig.endAll(ids, { settled: false });

    return {
      processes: { dialers: layout.dialers, media: layout.media, nats_nodes: layout.natsCluster ? 3 : 1 },
      calls: CALLS,
      setup_seconds: round(setupS, 1),
      calls_per_dialer: Object.fromEntries(rig.dialerIds.map((d, i) => [d, perDialer[i]])),
      calls_per_media: Object.fromEntries(rig.mediaIds.map((m, i) => [m, sessions[i]])),
      placement_balance_max_over_min: layout.media > 1 ? round(Math.max(...sessions) / Math.max(1, Math.min(...sessions))) : 1,
      cpu_cores: Object.fromEntries(procs.map(({ name }, i) => [name, round(cpu[i]!, 3)])),
      media_cpu_ms_per_call_second: round((1000 * cpu.slice(layout.dialers).reduce((a, b) => a + b, 0)) / CALLS, 1),
      rtp_late_frames_held: Object.fromEntries(rig.mediaIds.map((m, i) => [m, late[i]])),
      dialer_kill: { calls: perDialer[dVictim], adopted_after_ms: adoptedMs, how: layout.dialers > 1 ? 'adopted by the other dialer' : 'the dialer restarted at once and adopted its own calls' },
      media_kill: { calls: ended.length, not_media_lost: wrong, to_ended_ms: { p50: percentile(toEnded, 50), p95: percentile(toEnded, 95), max: Math.max(...toEnded) }, goal: { p95_ms: '< 5000' }, meets_goal: percentile(toEnded, 95) < 5000 },
    };
  } finally {
    await rig.stop();
  }
}

async function main() {
  const single = await measure({ dialers: 1, media: 1, natsCluster: false });
  const scaled = await measure({ dialers: 2, media: 3, natsCluster: true });
  process.stdout.write(
    JSON.stringify(
      {
        benchmark: 'scale',
        machine: '2 cores: every process shares them, so the scaled layout shows placement and failover, not more capacity',
        single_process: single,
        scaled_out: scaled,
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((err) => {
  process.stderr.write(`bench scale failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
