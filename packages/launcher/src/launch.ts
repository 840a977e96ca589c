import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { PROCESSES, type ProcessName, type ProcessSpec } from './processes';

export const REPO_ROOT = resolve(__dirname, '../../..');

export interface LaunchOptions {
  databaseUrl: string;
  natsUrl: string;
  namespace?: string;
  /**
   * `free`: pick unused ports (tests, demo); `default`: the documented ones (pnpm start), each overridden by its
   * variable (`API_PORT`, `SIM_PORT`, ...) in `env` or the launcher's own environment.
   */
  ports?: 'free' | 'default';
  /** A real OpenAI-compatible server; without it the scripted sandbox model is started and used. */
  llmBaseUrl?: string;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Which processes to run (default: all). */
  only?: ProcessName[];
  onLog?: (name: ProcessName, line: string, stream: 'stdout' | 'stderr') => void;
  onExit?: (name: ProcessName, code: number | null, signal: NodeJS.Signals | null) => void;
  readyTimeoutMs?: number;
  /**
   * Restart a process that exits on its own (like compose's `restart: unless-stopped`), after a delay that doubles
   * with each crash in a row (from `minDelayMs` to `maxDelayMs`); a process that stayed up `stableAfterMs` starts
   * over at `minDelayMs`. Without it, a crashed process stays down (tests, demo).
   */
  restart?: { minDelayMs?: number; maxDelayMs?: number; stableAfterMs?: number };
  onRestart?: (name: ProcessName, attempt: number, delayMs: number) => void;
  /** What to run (default: every Parley process); tests pass stand-in scripts. */
  processes?: readonly ProcessSpec[];
}

export interface RunningProcess {
  spec: ProcessSpec;
  port: number;
  url: string;
  child: ChildProcess;
  /** Sends a signal (SIGKILL for crash tests) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same port and environment, and waits until it is ready. */
  restart(): Promise<void>;
}

export interface Platform {
  env: Record<string, string>;
  apiUrl: string;
  simUrl: string;
  llmBaseUrl: string;
  usesSandboxLlm: boolean;
  processes: Map<ProcessName, RunningProcess>;
  get(name: ProcessName): RunningProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function waitReady(url: string, timeoutMs: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs} ms`);
}

function pipeLines(stream: NodeJS.ReadableStream | null, each: (line: string) => void) {
  let buf = '';
  stream?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      each(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/**
 * Starts the asterisk simulator, the sandbox model (unless a real LLM is given), the api (which migrates the
 * database), then the dialer, media, extractor and webhooks, each as a child process, and waits until each is ready.
 */
export async function launchPlatform(o: LaunchOptions): Promise<Platform> {
  const specs = o.processes ?? PROCESSES;
  const wanted = specs.filter((p) => (o.only ? o.only.includes(p.name) : true)).filter((p) => !(p.name === 'sandbox-llm' && o.llmBaseUrl));
  const given: Record<string, string | undefined> = { ...process.env, ...o.env };
  const ports = new Map<ProcessName, number>();
  for (const p of specs) ports.set(p.name, o.ports === 'default' ? configuredPort(p, given[p.portEnv]) : await freePort());
  const llmBaseUrl = o.llmBaseUrl ?? `http://127.0.0.1:${ports.get('sandbox-llm')}/v1`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: o.databaseUrl,
    NATS_URL: o.natsUrl,
    NATS_NAMESPACE: o.namespace ?? '',
    SIM_ARI_URL: (o.ports === 'default' && given.SIM_ARI_URL) || `http://127.0.0.1:${ports.get('asterisk-sim')}/ari`,
    LLM_BASE_URL: llmBaseUrl,
    ...Object.fromEntries(specs.map((p) => [p.portEnv, String(ports.get(p.name))])),
    ...(o.env ?? {}),
  };
  const processes = new Map<ProcessName, RunningProcess>();
  let stopping = false;

  const crashes = new CrashBackoff(o.restart ?? {});
  const restartTimers = new Set<NodeJS.Timeout>();
  /** Children stopped on purpose (kill, restart, stop): their exit is not a crash. */
  const killed = new WeakSet<ChildProcess>();

  const start = (spec: ProcessSpec): ChildProcess => {
    const entry = resolve(REPO_ROOT, spec.entry);
    if (!existsSync(entry)) throw new Error(`${spec.entry} is missing: run \`pnpm build\` first`);
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), entry], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const startedAt = Date.now();
    pipeLines(child.stdout, (l) => o.onLog?.(spec.name, l, 'stdout'));
    pipeLines(child.stderr, (l) => o.onLog?.(spec.name, l, 'stderr'));
    child.on('exit', (code, signal) => {
      const handle = processes.get(spec.name);
      if (stopping || killed.has(child) || !handle || handle.child !== child) return;
      o.onExit?.(spec.name, code, signal);
      if (!o.restart) return;
      const { attempt, delayMs } = crashes.next(spec.name, Date.now() - startedAt);
      o.onRestart?.(spec.name, attempt, delayMs);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (stopping || handle.child !== child) return;
        try {
          handle.child = start(spec);
        } catch (err) {
          o.onLog?.(spec.name, `could not restart: ${(err as Error).message}`, 'stderr');
        }
      }, delayMs);
      restartTimers.add(timer);
    });
    return child;
  };

  const launchOne = async (spec: ProcessSpec) => {
    const port = ports.get(spec.name)!;
    const url = `http://127.0.0.1:${port}`;
    const handle: RunningProcess = {
      spec,
      port,
      url,
      child: start(spec),
      async kill(signal: NodeJS.Signals = 'SIGTERM') {
        const c = handle.child;
        killed.add(c);
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill(signal);
        await exited;
      },
      async restart() {
        await handle.kill('SIGTERM');
        handle.child = start(spec);
        await waitReady(url + spec.readyPath, o.readyTimeoutMs ?? 60_000, handle.child, spec.name);
      },
    };
    processes.set(spec.name, handle);
    await waitReady(url + spec.readyPath, o.readyTimeoutMs ?? 60_000, handle.child, spec.name);
  };

  const platform: Platform = {
    env,
    apiUrl: `http://127.0.0.1:${ports.get('api')}`,
    simUrl: `http://127.0.0.1:${ports.get('asterisk-sim')}`,
    llmBaseUrl,
    usesSandboxLlm: !o.llmBaseUrl,
    processes,
    get(name) {
      const p = processes.get(name);
      if (!p) throw new Error(`${name} is not running in this platform`);
      return p;
    },
    async stop() {
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      // Reverse order: workers first, then the api, the simulator last.
      for (const p of [...processes.values()].reverse()) {
        const timer = setTimeout(() => p.child.kill('SIGKILL'), Number(env.SHUTDOWN_TIMEOUT_MS ?? 15_000) + 2000);
        await p.kill('SIGTERM');
        clearTimeout(timer);
      }
    },
  };

  try {
    const first = wanted.filter((p) => p.name === 'asterisk-sim' || p.name === 'sandbox-llm' || p.name === 'api');
    // The api goes first among the services: it creates and migrates the database.
    for (const spec of first) await launchOne(spec);
    await Promise.all(wanted.filter((p) => !first.includes(p)).map(launchOne));
  } catch (err) {
    await platform.stop();
    throw err;
  }
  return platform;
}

function configuredPort(spec: ProcessSpec, value: string | undefined): number {
  if (value === undefined || value === '') return spec.defaultPort;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${spec.portEnv} must be a port number (1-65535), got '${value}'`);
  return port;
}

/** Delays before restarting crashed processes: doubling per crash in a row, reset by a run that lasted. */
class CrashBackoff {
  private readonly streaks = new Map<ProcessName, number>();

  constructor(private readonly opts: { minDelayMs?: number; maxDelayMs?: number; stableAfterMs?: number }) {}

  next(name: ProcessName, ranForMs: number): { attempt: number; delayMs: number } {
    const min = this.opts.minDelayMs ?? 1000;
    const max = this.opts.maxDelayMs ?? 30_000;
    const attempt = ranForMs >= (this.opts.stableAfterMs ?? 30_000) ? 1 : (this.streaks.get(name) ?? 0) + 1;
    this.streaks.set(name, attempt);
    return { attempt, delayMs: Math.min(max, min * 2 ** (attempt - 1)) };
  }
}
