import type { Platform, RunningProcess } from '@parley/launcher';
import { NatsCluster } from '@parley/service-kit';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@parley/launcher';
import { type Account, isSettled, isTerminal, launchExtra, launchExtraMedia, metric, sandboxAgent, startTestPlatform, type TestPlatform, until } from './platform-harness';

/**
 * The product spread over several processes as a scaled-out install runs it: `dialers` dialers and `media` media
 * processes (ids dialer-1.., media-1..), on a single NATS or a 3-node cluster (streams with three copies), one
 * simulator, real Postgres; an outbound agent whose calls go to far ends that answer and stay on the line, silent (so
 * the agent's engines are idle: what is measured is holding calls, RTP and the control plane). Shared by the scale-out
 * kill test and `pnpm bench scale`.
 */
export interface ScaleRig {
  tp: TestPlatform;
  cluster: NatsCluster | null;
  account: Account;
  hook: Awaited<ReturnType<TestPlatform['webhookReceiver']>>;
  dialerIds: string[];
  mediaIds: string[];
  dialers(): RunningProcess[];
  medias(): RunningProcess[];
  /** The simulators calls ring: the registered ones by name, or the sandbox one as `sandbox`. */
  asteriskNames: string[];
  sim(name: string): RunningProcess;
  /** Every call placed so far. */
  placed: string[];
  /** `n` calls placed at once; resolves once each is answered and bridged to its media process (and attached). */
  placeLive(n: number): Promise<string[]>;
  call(id: string): Promise<any>;
  events(id: string): Promise<Array<{ type: string; at: string; data: any }>>;
  /** Ends the calls still live through the API, and waits until every one has ended (and its result, unless `settled` is false). */
  endAll(ids: string[], opts?: { settled?: boolean }): Promise<void>;
  /** Channels and bridges the simulators still have (a stopped one has none). */
  simObjects(): Promise<string[]>;
  /** Which simulator each call's bridge is on. */
  asteriskOf(ids: string[]): Promise<Map<string, string>>;
  /** Until every dialer hears every media process's adverts. */
  untilPlacementSeesAll(): Promise<void>;
  stop(): Promise<void>;
}

export interface ScaleRigOptions {
  dialers: number;
  media: number;
  natsCluster: boolean;
  /**
   * Simulators registered as Asterisks (sim-a, sim-b...) carrying the agent's customer trunk, in place of the
   * platform's sandbox simulator; 0 (default): the sandbox trunk.
   */
  asterisks?: number;
  /** Settings of every media process (MEDIA_MAX_SESSIONS...). */
  mediaEnv?: Record<string, string>;
  /** Settings of every process. */
  env?: Record<string, string>;
}

export async function startScaleRig(o: ScaleRigOptions): Promise<ScaleRig> {
  const cluster = o.natsCluster ? await NatsCluster.start(3) : null;
  const extra: Platform[] = [];
  const mediaEnv: Record<string, string> = { SILENCE_REPROMPT_MS: '600000', SILENCE_HANGUP_MS: '1200000', ...o.mediaEnv };
  // The harness gives each media process 20 RTP and WebRTC ports; more sessions than that need wider ranges.
  const width = Math.max(20, Number(mediaEnv.MEDIA_MAX_SESSIONS ?? 0) + 4);
  const base = 20_000 + Math.floor(Math.random() * 20) * 1000;
  const ports = (i: number): Record<string, string> => (width > 20 ? { MEDIA_RTP_PORTS: `${base + i * width}-${base + (i + 1) * width - 1}`, MEDIA_WEBRTC_PORTS: `${base + 10_000 + i * width}-${base + 10_000 + (i + 1) * width - 1}` } : {});
  const tp = await startTestPlatform({ ...(o.asterisks ? { ASTERISK_REGISTRY_RELOAD_MS: '500' } : {}), ...o.env, ...mediaEnv, ...ports(0), ...(cluster ? { NATS_STREAM_REPLICAS: '3' } : {}), DIALER_ID: 'dialer-1', MEDIA_ID: 'media-1' }, cluster ? { natsUrl: cluster.url } : {});
  const dialerIds = Array.from({ length: o.dialers }, (_, i) => `dialer-${i + 1}`);
  const mediaIds = Array.from({ length: o.media }, (_, i) => `media-${i + 1}`);
  const extraDialers: Platform[] = [];
  const extraMedia: Platform[] = [];
  try {
    for (const id of dialerIds.slice(1)) extraDialers.push(await launchExtra(tp, 'dialer', id, { DIALER_ID: id }));
    for (const [i, id] of mediaIds.entries()) if (i > 0) extraMedia.push(await launchExtraMedia(tp, id, { ...mediaEnv, ...ports(i), MEDIA_ID: id }));
  } catch (err) {
    for (const p of [...extraDialers, ...extraMedia]) await p.stop();
    await tp.stop();
    await cluster?.stop();
    throw err;
  }
  extra.push(...extraDialers, ...extraMedia);
  const account = await tp.createAccount('Scale rig');
  const sims = new Map<string, Platform>();
  let agent: { id: string };
  if (o.asterisks) {
    for (const name of Array.from({ length: o.asterisks }, (_, i) => `sim-${String.fromCharCode(97 + i)}`)) {
      const sim = await launchExtra(tp, 'asterisk-sim', name, {});
      sims.set(name, sim);
      extra.push(sim);
      await cli(tp, 'asterisks', 'add', '--name', name, '--url', `${sim.simUrl}/ari`, '--username', 'parley', '--password', 'parley', '--capacity', '1000', '--site', 'loopback');
    }
    const trunk = await tp.api(account, 'POST', '/v1/trunks', { name: 'Carrier', host: 'sip.carrier.example', asterisks: [...sims.keys()], calls_per_second: 50, max_concurrent_calls: 1000 });
    if (trunk.status !== 201) throw new Error(`trunk: ${JSON.stringify(trunk.body)}`);
    const number = await tp.api(account, 'POST', '/v1/numbers', { number: '+15550100023', trunk_id: trunk.body.id });
    agent = (await tp.api(account, 'POST', '/v1/agents', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.', number_ids: [number.body.id] })).body;
    await until('the trunk pushed to every Asterisk', async () => {
      const status = (await tp.api(account, 'GET', `/v1/trunks/${trunk.body.id}`)).body.status;
      return status.asterisks.filter((a: { provisioning: string; asterisk_connected: boolean }) => a.provisioning === 'pushed' && a.asterisk_connected).length === sims.size;
    }, 60_000);
  } else {
    ({ agent } = await sandboxAgent(tp, account, '+15550100023', { name: 'Quiet', type: 'outbound', instructions: 'Wait for the callee.' }));
  }
  const simUrls = () => (sims.size ? [...sims.values()].map((s) => s.simUrl) : [tp.platform.simUrl]);
  const hook = await tp.webhookReceiver(account.webhook_secret);
  const ari = async (what: 'channels' | 'bridges') => {
    const all: Array<{ id: string; channels?: string[] }> = [];
    for (const url of simUrls()) {
      const res = await fetch(`${url}/ari/${what}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } }).catch(() => null);
      // A simulator killed on purpose has nothing left to list.
      if (res?.ok) all.push(...((await res.json()) as typeof all));
    }
    return all;
  };
  let numbers = 0;
  const rig: ScaleRig = {
    tp,
    cluster,
    account,
    hook,
    dialerIds,
    mediaIds,
    placed: [],
    dialers: () => [tp.platform.get('dialer'), ...extraDialers.map((p) => p.get('dialer'))],
    medias: () => [tp.platform.get('media'), ...extraMedia.map((p) => p.get('media'))],
    asteriskNames: sims.size ? [...sims.keys()] : ['sandbox'],
    sim: (name) => (name === 'sandbox' ? tp.platform.get('asterisk-sim') : sims.get(name)!.get('asterisk-sim')),
    async placeLive(n) {
      const ids = await Promise.all(
        Array.from({ length: n }, async () => {
          const to = `+1555023${String(numbers++).padStart(4, '0')}`;
          for (const url of simUrls()) {
            const res = await fetch(`${url}/sim/scenarios/${encodeURIComponent(to)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'answer', answer_after_ms: 100, send_silence: true }) }).catch(() => null);
            if (res && !res.ok) throw new Error(`scenario ${to}: ${res.status}`);
          }
          const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to, webhook_url: hook.url });
          if (res.status !== 201) throw new Error(`POST /v1/calls: ${res.status} ${JSON.stringify(res.body)}`);
          return res.body.id as string;
        }),
      );
      rig.placed.push(...ids);
      for (const id of ids) await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 120_000);
      await until('every call bridged to its media process', async () => (await ari('bridges')).filter((b) => ids.includes(b.id.slice('bridge-'.length)) && b.channels?.length === 2).length === ids.length, 60_000);
      // The attach follows the bridge: a kill before it would be a failed set-up, not a lost call.
      await new Promise((r) => setTimeout(r, 1000));
      return ids;
    },
    call: async (id) => (await tp.api(account, 'GET', `/v1/calls/${id}`)).body,
    events: async (id) => (await tp.api(account, 'GET', `/v1/calls/${id}/events`)).body.data,
    async endAll(ids, opts) {
      for (const id of ids) if (!isTerminal(await rig.call(id))) await tp.api(account, 'POST', `/v1/calls/${id}/end`);
      for (const id of ids) await tp.waitForCall(account, id, opts?.settled === false ? isTerminal : isSettled, 60_000);
    },
    simObjects: async () => [...(await ari('channels')), ...(await ari('bridges'))].map((o) => o.id),
    async asteriskOf(ids) {
      const where = new Map<string, string>();
      for (const name of rig.asteriskNames) {
        const url = name === 'sandbox' ? tp.platform.simUrl : sims.get(name)!.simUrl;
        const res = await fetch(`${url}/ari/bridges`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } }).catch(() => null);
        if (!res?.ok) continue;
        for (const b of (await res.json()) as Array<{ id: string }>) if (ids.includes(b.id.slice('bridge-'.length))) where.set(b.id.slice('bridge-'.length), name);
      }
      return where;
    },
    async untilPlacementSeesAll() {
      await until('every dialer hears every media process', async () => (await Promise.all(rig.dialers().map((d) => metric(d.url, 'parley_media_placement_processes')))).every((n) => n === o.media), 60_000);
    },
    async stop() {
      for (const p of extra) await p.stop();
      await tp.stop();
      await cluster?.stop();
    },
  };
  return rig;
}

/** The admin CLI (`pnpm parley ...`) against the platform; its JSON answer. */
async function cli(tp: TestPlatform, ...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'apps/api/dist/cli/main.js'), ...args], { env: tp.platform.env });
  return JSON.parse(stdout);
}
