import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort, launchPlatform, type Platform, type ProcessName, type ProcessSpec } from '../src';

const fake = (name: ProcessName, file: string, portEnv: string, defaultPort: number): ProcessSpec => ({ name, entry: join(__dirname, 'fake-services', file), portEnv, defaultPort, readyPath: '/' });
const FAKES = [fake('asterisk-sim', 'sim.cjs', 'SIM_PORT', 8188), fake('api', 'api.cjs', 'API_PORT', 3000), fake('dialer', 'dialer.cjs', 'DIALER_PORT', 3001)];
const base = { databaseUrl: 'postgres://unused', natsUrl: 'nats://unused', llmBaseUrl: 'http://127.0.0.1:9/v1', processes: FAKES, readyTimeoutMs: 10_000 };

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.stop();
  platform = undefined;
});

interface FakeInfo {
  pid: number;
  execArgv: string[];
  env: Record<string, string>;
  startedAt: number;
  listeningAt: number;
}

async function info(url: string): Promise<FakeInfo> {
  return (await fetch(url)).json() as Promise<FakeInfo>;
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('documented ports: each service listens where its variable says, and the others are told so', async () => {
  const [api, sim] = [await freePort(), await freePort()];
  platform = await launchPlatform({ ...base, ports: 'default', env: { API_PORT: String(api), SIM_PORT: String(sim), DIALER_PORT: String(await freePort()) } });
  expect(platform.apiUrl).toBe(`http://127.0.0.1:${api}`);
  expect(platform.simUrl).toBe(`http://127.0.0.1:${sim}`);
  const dialer = await info(platform.get('dialer').url);
  expect(dialer.env).toMatchObject({ API_PORT: String(api), SIM_PORT: String(sim), SIM_ARI_URL: `http://127.0.0.1:${sim}/ari` });
  expect((await info(platform.apiUrl)).env.API_PORT).toBe(String(api));
});

it('documented ports: an explicit SIM_ARI_URL is kept, and a port variable that is not a port is refused', async () => {
  const env = { API_PORT: String(await freePort()), SIM_PORT: String(await freePort()), DIALER_PORT: String(await freePort()), SIM_ARI_URL: 'http://10.0.0.5:8188/ari' };
  platform = await launchPlatform({ ...base, ports: 'default', env });
  expect((await info(platform.get('dialer').url)).env.SIM_ARI_URL).toBe('http://10.0.0.5:8188/ari');
  await platform.stop();
  platform = undefined;
  await expect(launchPlatform({ ...base, ports: 'default', env: { ...env, API_PORT: 'http' } })).rejects.toThrow(/API_PORT must be a port number/);
});

it('a crashed service is restarted with a doubling delay while the others keep running; stop ends them all', async () => {
  const exits: string[] = [];
  const restarts: Array<{ name: string; attempt: number; delayMs: number }> = [];
  platform = await launchPlatform({
    ...base,
    ports: 'free',
    restart: { minDelayMs: 50, maxDelayMs: 150, stableAfterMs: 60_000 },
    onExit: (name, code) => exits.push(`${name}:${code}`),
    onRestart: (name, attempt, delayMs) => restarts.push({ name, attempt, delayMs }),
  });
  const dialer = platform.get('dialer');
  const api = await info(platform.apiUrl);

  for (let crash = 1; crash <= 3; crash++) {
    const before = dialer.child.pid;
    await fetch(`${dialer.url}/crash`);
    await until(async () => dialer.child.pid !== before && (await info(dialer.url)).pid === dialer.child.pid, `dialer back after crash ${crash}`);
  }
  expect(exits).toEqual(['dialer:3', 'dialer:3', 'dialer:3']);
  expect(restarts).toEqual([
    { name: 'dialer', attempt: 1, delayMs: 50 },
    { name: 'dialer', attempt: 2, delayMs: 100 },
    { name: 'dialer', attempt: 3, delayMs: 150 },
  ]);
  // The api and the simulator never stopped.
  expect((await info(platform.apiUrl)).pid).toBe(api.pid);

  const children = [...platform.processes.values()].map((p) => p.child);
  await platform.stop();
  platform = undefined;
  expect(children.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true);
  expect(exits).toHaveLength(3);
});

it('without a restart policy a crashed service stays down and is reported once', async () => {
  const exits: string[] = [];
  platform = await launchPlatform({ ...base, ports: 'free', onExit: (name, code) => exits.push(`${name}:${code}`) });
  const dialer = platform.get('dialer');
  await fetch(`${dialer.url}/crash`);
  await until(async () => exits.length === 1, 'the exit reported');
  expect(exits).toEqual(['dialer:3']);
  expect(dialer.child.exitCode).toBe(3);
});

it('the simulator, then the api, are ready before the other services start; stop ends them in reverse order', async () => {
  const media: ProcessSpec = { ...fake('media', 'media.cjs', 'MEDIA_PORT', 3002), nodeArgs: ['--max-semi-space-size=4'] };
  const processes = [FAKES[0]!, fake('api', 'slow-api.cjs', 'API_PORT', 3000), FAKES[2]!, media];
  platform = await launchPlatform({ ...base, processes, ports: 'free' });
  const [sim, api, dialer, worker] = await Promise.all(['asterisk-sim', 'api', 'dialer', 'media'].map((n) => info(platform!.get(n as ProcessName).url)));
  expect(api!.startedAt).toBeGreaterThanOrEqual(sim!.listeningAt);
  // The api listens 300 ms after it starts: the workers wait for it (it migrates the database).
  expect(dialer!.startedAt).toBeGreaterThanOrEqual(api!.listeningAt);
  expect(worker!.startedAt).toBeGreaterThanOrEqual(api!.listeningAt);
  expect(worker!.execArgv).toEqual(['--max-semi-space-size=4']);

  const exited: string[] = [];
  for (const [name, p] of platform.processes) p.child.once('exit', () => exited.push(name));
  await platform.stop();
  platform = undefined;
  expect(exited).toEqual(['media', 'dialer', 'api', 'asterisk-sim']);
});

it('every process gets the database, NATS, namespace and LLM settings, and the ports of the others; extra env wins', async () => {
  platform = await launchPlatform({ ...base, ports: 'free', namespace: 'ns1', env: { LOG_LEVEL: 'trace', NATS_URL: 'nats://override:4222' } });
  const { env } = await info(platform.get('dialer').url);
  expect(env).toMatchObject({
    DATABASE_URL: 'postgres://unused',
    NATS_URL: 'nats://override:4222',
    NATS_NAMESPACE: 'ns1',
    LLM_BASE_URL: 'http://127.0.0.1:9/v1',
    LOG_LEVEL: 'trace',
    API_PORT: String(platform.get('api').port),
    SIM_ARI_URL: `${platform.simUrl}/ari`,
  });
  expect(platform.usesSandboxLlm).toBe(false);
});

it('without a real LLM the sandbox model is started and every service is pointed at it; with one it is not started', async () => {
  const processes = [...FAKES, fake('sandbox-llm', 'llm.cjs', 'SANDBOX_LLM_PORT', 8191)];
  platform = await launchPlatform({ ...base, llmBaseUrl: undefined, processes, ports: 'free' });
  const llm = platform.get('sandbox-llm');
  expect(platform.usesSandboxLlm).toBe(true);
  expect(platform.llmBaseUrl).toBe(`${llm.url}/v1`);
  expect((await info(platform.apiUrl)).env.LLM_BASE_URL).toBe(`${llm.url}/v1`);
  await platform.stop();

  platform = await launchPlatform({ ...base, processes, ports: 'free' });
  expect([...platform.processes.keys()]).toEqual(['asterisk-sim', 'api', 'dialer']);
  expect(() => platform!.get('sandbox-llm')).toThrow(/sandbox-llm is not running/);
});

it('only the processes asked for run', async () => {
  platform = await launchPlatform({ ...base, ports: 'free', only: ['asterisk-sim'] });
  expect([...platform.processes.keys()]).toEqual(['asterisk-sim']);
  expect(() => platform!.get('api')).toThrow(/api is not running in this platform/);
});

it('a service that exits before it is ready fails the launch, and what had started is stopped', async () => {
  const sim = await freePort();
  const processes = [FAKES[0]!, fake('api', 'exits.cjs', 'API_PORT', 3000), FAKES[2]!];
  await expect(launchPlatform({ ...base, processes, ports: 'default', env: { SIM_PORT: String(sim), API_PORT: String(await freePort()) } })).rejects.toThrow(
    /api exited with code 2 before it was ready/,
  );
  await expect(fetch(`http://127.0.0.1:${sim}/`)).rejects.toThrow();
});

it('a service that is not ready within readyTimeoutMs fails the launch; a missing entry says to build first', async () => {
  // The api alone: a simulator slow to start on a loaded machine would be the one named.
  const stuck = [fake('api', 'never-ready.cjs', 'API_PORT', 3000)];
  await expect(launchPlatform({ ...base, processes: stuck, ports: 'free', readyTimeoutMs: 500 })).rejects.toThrow(/api was not ready at http:\/\/127\.0\.0\.1:\d+\/ within 500 ms/);
  const missing = [{ ...FAKES[0]!, entry: 'packages/nowhere/dist/main.js' }];
  await expect(launchPlatform({ ...base, processes: missing, ports: 'free' })).rejects.toThrow(/packages\/nowhere\/dist\/main\.js is missing: run `pnpm build` first/);
});

it('restart() of one process starts it again on the same port, and is no crash', async () => {
  const exits: string[] = [];
  const restarts: string[] = [];
  platform = await launchPlatform({ ...base, ports: 'free', restart: { minDelayMs: 50 }, onExit: (name) => exits.push(name), onRestart: (name) => restarts.push(name) });
  const dialer = platform.get('dialer');
  const before = await info(dialer.url);
  await dialer.restart();
  const after = await info(dialer.url);
  expect(after.pid).not.toBe(before.pid);
  expect(after.env.DIALER_PORT).toBe(before.env.DIALER_PORT);
  await new Promise((r) => setTimeout(r, 200)); // longer than the restart delay: a crash would have been restarted by now
  expect(exits).toEqual([]);
  expect(restarts).toEqual([]);
  expect(dialer.child.pid).toBe(after.pid);
});

it('a service that stayed up longer than stableAfterMs is restarted after the shortest delay again', async () => {
  const restarts: Array<{ attempt: number; delayMs: number }> = [];
  platform = await launchPlatform({
    ...base,
    ports: 'free',
    restart: { minDelayMs: 50, maxDelayMs: 1000, stableAfterMs: 1500 },
    onRestart: (_name, attempt, delayMs) => restarts.push({ attempt, delayMs }),
  });
  const dialer = platform.get('dialer');
  const crash = async () => {
    const before = dialer.child.pid;
    await fetch(`${dialer.url}/crash`);
    await until(async () => dialer.child.pid !== before && (await info(dialer.url)).pid === dialer.child.pid, 'the dialer back');
  };
  await crash();
  await crash();
  await new Promise((r) => setTimeout(r, 1600));
  await crash();
  expect(restarts).toEqual([
    { attempt: 1, delayMs: 50 },
    { attempt: 2, delayMs: 100 },
    { attempt: 1, delayMs: 50 },
  ]);
});
