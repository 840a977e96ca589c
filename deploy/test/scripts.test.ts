import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseAsteriskConfig, section, value, values } from './support/asterisk-config';
import { healthcheckCommand } from './support/compose';
import { envRecord } from './support/dotenv';
import { composeWithEnv, envExample, path, ROOT } from './support/repo';

const env = envRecord(envExample());
const servers: Server[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of servers.splice(0)) s.close();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-deploy-'));
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function httpServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const srv = createServer(handler);
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
}

/** Runs a command to completion without blocking the event loop (the servers above answer from it). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('deploy/healthcheck.mjs', () => {
  it('exits 0 on a 2xx answer, 1 on an error status or no answer, 2 without a URL', async () => {
    const base = await httpServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end('x');
    });
    expect((await run('node', ['deploy/healthcheck.mjs', `${base}/ok`])).code).toBe(0);
    expect((await run('node', ['deploy/healthcheck.mjs', `${base}/down`])).code).toBe(1);
    expect((await run('node', ['deploy/healthcheck.mjs', `http://127.0.0.1:${await freePort()}/`])).code).toBe(1);
    expect((await run('node', ['deploy/healthcheck.mjs'])).code).toBe(2);
  });

  it('times out on a server that never answers', async () => {
    const base = await httpServer(() => undefined);
    const started = Date.now();
    expect((await run('node', ['deploy/healthcheck.mjs', `${base}/`, '300'])).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("compose's healthchecks of the simulator and the sandbox model", () => {
  // The processes as compose starts them (command and .env), on loopback ports free on this machine.
  for (const service of ['asterisk-sim', 'sandbox-llm'] as const) {
    it(`${service}: the healthcheck passes once the process is up, and fails once it is gone`, async () => {
      const ports = { SIM_PORT: String(await freePort()), SANDBOX_LLM_PORT: String(await freePort()) };
      const overrides = { ...ports, SIM_HOST: '127.0.0.1', SIM_RTP_HOST: '127.0.0.1', SANDBOX_LLM_HOST: '127.0.0.1' };
      const { compose } = composeWithEnv(overrides);
      const s = compose.services[service]!;
      const entry = s.command![1]!;
      expect(existsSync(path(entry)), `${entry} is built (pnpm build)`).toBe(true);
      const child = spawn(s.command![0]!, s.command!.slice(1), { cwd: ROOT, env: { ...process.env, ...env, ...overrides }, stdio: 'ignore' });
      children.push(child);
      const check = healthcheckCommand(s.healthcheck)!;
      expect(check[0]).toBe('CMD');
      let code: number | null = null;
      for (let i = 0; i < 50 && code !== 0; i++) {
        code = (await run(check[1]!, check.slice(2))).code;
        if (code !== 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(code, `${check.slice(1).join(' ')} never passed`).toBe(0);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      expect((await run(check[1]!, check.slice(2))).code).toBe(1);
    });
  }
});

describe('deploy/fetch-whisper-model.mjs', () => {
  const MODEL = Buffer.from('ggml fake model bytes '.repeat(1000));

  async function modelServer(): Promise<{ base: string; hits: () => number }> {
    let hits = 0;
    const base = await httpServer((req, res) => {
      hits++;
      if (req.url === '/ggml-tiny.en.bin') {
        res.setHeader('content-length', MODEL.length);
        res.end(MODEL);
      } else if (req.url === '/ggml-cut.bin') {
        // Announces more than it sends, then hangs up: a download cut short.
        res.setHeader('content-length', MODEL.length * 2);
        res.write(MODEL, () => res.destroy());
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    return { base, hits: () => hits };
  }

  const fetchModel = (dir: string, name: string, base: string) =>
    run('node', ['deploy/fetch-whisper-model.mjs'], { env: { WHISPER_MODEL: name, WHISPER_MODEL_DIR: dir, WHISPER_MODEL_BASE_URL: base } });

  it('downloads ggml-<name>.bin into the directory once', async () => {
    const { base, hits } = await modelServer();
    const dir = join(tempDir(), 'models');
    const first = await fetchModel(dir, 'tiny.en', base);
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ggml-tiny.en.bin')).equals(MODEL)).toBe(true);
    expect(first.stdout).toContain(`WHISPER_MODEL_PATH=${join(dir, 'ggml-tiny.en.bin')}`);
    const second = await fetchModel(dir, 'tiny.en', base);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already there');
    expect(hits()).toBe(1);
  });

  it('leaves no file behind when the download fails or is cut short', async () => {
    const { base } = await modelServer();
    const dir = tempDir();
    expect((await fetchModel(dir, 'missing', base)).code).toBe(1);
    expect((await fetchModel(dir, 'cut', base)).code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a model name that is not a plain name', async () => {
    const result = await fetchModel(tempDir(), '../etc/passwd', 'http://127.0.0.1:9');
    expect(result.code).toBe(2);
  });
});

describe('deploy/asterisk/docker-entrypoint.sh', () => {
  const pjsip = parseAsteriskConfig(readFileSync(path('deploy/asterisk/pjsip.conf'), 'utf8'));
  const entrypoint = (vars: Record<string, string>, ...command: string[]) => {
    const dir = tempDir();
    const result = spawnSync('sh', ['deploy/asterisk/docker-entrypoint.sh', ...command], { cwd: ROOT, env: { PATH: process.env.PATH, PARLEY_ASTERISK_CONF_DIR: dir, ...vars }, encoding: 'utf8' });
    const file = (name: string) => parseAsteriskConfig(readFileSync(join(dir, name), 'utf8'), name);
    return { ...result, file };
  };

  it('writes the ARI user the dialer logs in with, then runs the command', () => {
    const r = entrypoint({ ARI_USER: env.ARI_USER!, ARI_PASSWORD: env.ARI_PASSWORD! }, 'echo', 'asterisk would start');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('asterisk would start\n');
    const user = section(r.file('ari_users.conf'), env.ARI_USER!);
    expect([value(user, 'type'), value(user, 'read_only'), value(user, 'password_format'), value(user, 'password')]).toEqual(['user', 'no', 'plain', env.ARI_PASSWORD]);
    expect(r.file('pjsip_nat.conf').sections).toEqual([]);
  });

  it('adds NAT settings to the transports of pjsip.conf when ASTERISK_EXTERNAL_ADDRESS is set', () => {
    const r = entrypoint({ ASTERISK_EXTERNAL_ADDRESS: '203.0.113.7', ASTERISK_LOCAL_NET: env.ASTERISK_LOCAL_NET! + ',192.168.0.0/16' }, 'true');
    expect(r.status, r.stderr).toBe(0);
    const nat = r.file('pjsip_nat.conf');
    expect(nat.sections.map((s) => [s.name, s.modifiers])).toEqual([['transport-udp', ['+']], ['transport-tcp', ['+']]]);
    for (const s of nat.sections) {
      // `(+)` only appends to a section pjsip.conf defines before its #tryinclude.
      expect(value(section(pjsip, s.name), 'type')).toBe('transport');
      expect([value(s, 'external_media_address'), value(s, 'external_signaling_address')]).toEqual(['203.0.113.7', '203.0.113.7']);
      expect(values(s, 'local_net')).toEqual([env.ASTERISK_LOCAL_NET, '192.168.0.0/16']);
    }
  });

  it('refuses credentials that would break ari.conf', () => {
    expect(entrypoint({ ARI_PASSWORD: 'semi;colon' }, 'true').status).toBe(64);
    expect(entrypoint({ ARI_PASSWORD: '[section]' }, 'true').status).toBe(64);
    expect(entrypoint({ ARI_USER: 'two words' }, 'true').status).toBe(64);
  });
});
