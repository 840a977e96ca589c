import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

/**
 * The host: a plain CommonJS script run with `node -e` (the build and the tests, which run the
 * TypeScript sources, share it). It starts what it is asked to, relays its stdout and stderr, and
 * reports how it ended; when the media process goes, so does everything it started.
 */
export const HOST_SOURCE = `
const { spawn } = require('node:child_process');
const children = new Map();
// The media process went away (killed): stop what it started and leave quietly, without an EPIPE stack trace.
const shutdown = () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
};
const send = (m) => process.connected && process.send(m, (err) => err && shutdown());
process.on('error', shutdown);
process.on('message', (m) => {
  if (m.type === 'run') {
    const child = spawn(m.command, m.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(m.id, child);
    child.stdout.on('data', (chunk) => send({ type: 'stdout', id: m.id, chunk }));
    child.stderr.on('data', (chunk) => send({ type: 'stderr', id: m.id, chunk }));
    child.once('error', (err) => children.delete(m.id) && send({ type: 'exit', id: m.id, error: err.message }));
    child.once('close', (code, signal) => children.delete(m.id) && send({ type: 'exit', id: m.id, code, signal }));
  } else if (m.type === 'kill') {
    const child = children.get(m.id);
    if (child) child.kill('SIGKILL');
  }
});
process.on('disconnect', shutdown);
`;

type HostMessage =
  | { type: 'stdout' | 'stderr'; id: number; chunk: Uint8Array }
  | { type: 'exit'; id: number; code?: number | null; signal?: string | null; error?: string };

export interface ProcessExit {
  code: number | null;
  signal: string | null;
  /** The first 2,000 characters it wrote to stderr. */
  stderr: string;
}

/** A program the host started. */
export interface HostedProcess {
  readonly stdout: Readable;
  /** How it ended; rejects when it could not be started or the host went away. */
  readonly exited: Promise<ProcessExit>;
  /** SIGKILL (nothing once it has ended). */
  kill(): void;
}

interface Running {
  stdout: PassThrough;
  stderr: string;
  resolve: (exit: ProcessExit) => void;
  reject: (err: Error) => void;
}

/**
 * Starts external programs (espeak-ng, flite) from a small helper process, so that the media
 * process itself never forks. A fork marks every page of the forking process copy-on-write; on
 * the media process's few hundred MB, each start of a synthesizer then cost tens of thousands of
 * page faults on the event loop and on the RTP engine's thread (about 20 us each on a VM). At 200
 * calls, one process per agent turn took the bench from 0.7 to 1.3 cores and made 84% of the
 * outgoing frames late. The host is started once, while the media process is still small, and
 * again only if it dies.
 */
export class SpawnHost {
  private host: ChildProcess | undefined;
  private nextId = 1;
  private readonly running = new Map<number, Running>();
  private closed = false;

  /** Starts the helper now (rather than at the first program, when the media process has grown). */
  start(): this {
    this.ensureHost();
    return this;
  }

  run(command: string, args: string[]): HostedProcess {
    const id = this.nextId++;
    const stdout = new PassThrough();
    const exited = new Promise<ProcessExit>((resolve, reject) => {
      this.running.set(id, { stdout, stderr: '', resolve, reject });
    });
    if (this.closed) {
      this.finish(id, new Error('the process host is closed'));
    } else {
      const host = this.ensureHost();
      host.channel?.ref();
      host.send({ type: 'run', id, command, args });
    }
    return {
      stdout,
      exited,
      kill: () => {
        if (this.running.has(id)) this.host?.send({ type: 'kill', id });
      },
    };
  }

  /** Kills what is running and stops the helper. */
  async close(): Promise<void> {
    this.closed = true;
    const host = this.host;
    this.host = undefined;
    if (!host || host.exitCode !== null || host.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => host.once('exit', () => resolve()));
    // Waited for: an unreferenced child would let the process exit before it has.
    host.ref();
    // The helper kills its children when its channel closes.
    host.disconnect();
    await gone;
  }

  private ensureHost(): ChildProcess {
    if (this.host) return this.host;
    // In a process group of its own: a Ctrl-C or a SIGTERM sent to the media process's group must not take the
    // synthesizers away from a graceful shutdown that still has goodbyes to say. It ends with its channel.
    const host = spawn(process.execPath, ['--max-old-space-size=64', '-e', HOST_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      detached: true,
    });
    host.on('message', (m: HostMessage) => this.onMessage(m));
    host.once('exit', (code, signal) => {
      if (this.host === host) this.host = undefined;
      for (const id of [...this.running.keys()]) this.finish(id, new Error(`the process host exited (${signal ?? code})`));
    });
    host.once('error', () => undefined);
    host.unref();
    host.channel?.unref();
    this.host = host;
    return host;
  }

  private onMessage(m: HostMessage): void {
    const run = this.running.get(m.id);
    if (!run) return;
    if (m.type === 'exit') this.finish(m.id, m.error === undefined ? { code: m.code ?? null, signal: m.signal ?? null } : new Error(m.error));
    else if (m.type === 'stdout') run.stdout.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    else if (run.stderr.length < 2000) run.stderr += Buffer.from(m.chunk).toString();
  }

  private finish(id: number, outcome: Error | { code: number | null; signal: string | null }): void {
    const run = this.running.get(id);
    if (!run) return;
    this.running.delete(id);
    run.stdout.end();
    if (outcome instanceof Error) run.reject(outcome);
    else run.resolve({ ...outcome, stderr: run.stderr.slice(0, 2000) });
    // Keeps the media process alive while a program runs, and only then.
    if (this.running.size === 0) this.host?.channel?.unref();
  }
}

let shared: SpawnHost | undefined;

/** The process-wide host, for synthesizers made without one of their own. */
export function sharedSpawnHost(): SpawnHost {
  shared ??= new SpawnHost().start();
  return shared;
}
