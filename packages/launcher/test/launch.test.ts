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

async function info(url: string): Promise<{ pid: number; env: Record<string, string> }> {
  return (await fetch(url)).json() as Promise<{ pid: number; env: Record<string, string> }>;
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
