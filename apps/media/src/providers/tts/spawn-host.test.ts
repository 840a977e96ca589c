import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_SOURCE, SpawnHost } from './spawn-host';

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

/** Minor page faults this process takes writing one byte in every page of `memory`. */
function faultsTouching(memory: Buffer): number {
  const before = process.resourceUsage().minorPageFault;
  for (let i = 0; i < memory.length; i += 4096) memory[i]! ^= 1;
  return process.resourceUsage().minorPageFault - before;
}

describe('SpawnHost', () => {
  const host = new SpawnHost().start();
  afterAll(() => host.close());

  it('runs a program, relays its stdout as it comes and its stderr, and reports its exit code', async () => {
    const child = host.run('sh', ['-c', 'printf one; sleep 0.05; printf two; echo oops >&2; exit 3']);
    expect(await text(child.stdout)).toBe('onetwo');
    expect(await child.exited).toEqual({ code: 3, signal: null, stderr: 'oops\n' });
  });

  it('relays binary output byte for byte', async () => {
    const child = host.run('head', ['-c', '100000', '/dev/urandom']);
    const chunks: Buffer[] = [];
    for await (const c of child.stdout) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toHaveLength(100000);
    expect((await child.exited).code).toBe(0);
  });

  it('kills a program at once', async () => {
    const child = host.run('sleep', ['30']);
    setTimeout(() => child.kill(), 50);
    expect(await child.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('rejects a program that cannot be started', async () => {
    const child = host.run('/nonexistent/espeak-ng', []);
    await expect(child.exited).rejects.toThrow(/ENOENT/);
    expect(await text(child.stdout)).toBe('');
  });

  it('ends what was running when the helper dies, and starts a new one for the next program', async () => {
    const doomed = host.run('sleep', ['30']);
    const helper = (host as unknown as { host: { pid: number } }).host;
    process.kill(helper.pid, 'SIGKILL');
    await expect(doomed.exited).rejects.toThrow(/process host exited/);
    const next = host.run('echo', ['again']);
    expect(await text(next.stdout)).toBe('again\n');
    expect((await next.exited).code).toBe(0);
  });

  it('leaves this process unforked: its pages are not made copy-on-write by the programs it starts', async (ctx) => {
    const memory = Buffer.alloc(64 * 1024 * 1024, 1);
    faultsTouching(memory);
    // What a direct start costs this process: after a fork, every page written faults once.
    await new Promise((resolve) => spawn('true').once('close', resolve));
    const direct = faultsTouching(memory);
    if (direct < 8000) ctx.skip(); // this platform starts processes without copy-on-write: nothing to guard
    for (let i = 0; i < 3; i++) expect((await host.run('true', []).exited).code).toBe(0);
    const hosted = faultsTouching(memory);
    expect(hosted).toBeLessThan(direct / 20);
  });

  it("keeps its programs out of this process's group (a Ctrl-C to it must not kill a goodbye being spoken), and ends when this process lets go", async () => {
    const other = new SpawnHost().start();
    const helper = (other as unknown as { host: { pid: number } }).host;
    const groupOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    expect(groupOf(helper.pid)).not.toBe(groupOf(process.pid));
    expect(groupOf(helper.pid)).toBe(helper.pid);
    await other.close();
    expect(() => process.kill(helper.pid, 0)).toThrow();
  });

  it('leaves quietly, with what it started, when the media process is killed while a program writes', async () => {
    // A stand-in media process starts the host (its stderr into a file), has it run a program that writes without
    // pause, and is killed with SIGKILL: the host sees the disconnect (or, in a narrower race this test cannot force,
    // its next relay fails with EPIPE, which it now handles the same way instead of dying with a stack trace).
    const dir = mkdtempSync(join(tmpdir(), 'spawn-host-'));
    const stderrFile = join(dir, 'host.stderr');
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process'); const fs = require('node:fs');
         const host = spawn(process.execPath, ['-e', process.env.HOST_SOURCE], { stdio: ['ignore', 'ignore', fs.openSync(process.env.STDERR_FILE, 'w'), 'ipc'], detached: true });
         host.on('message', (m) => { if (m.type === 'stdout' && !process.sentPid) { process.sentPid = true; console.log(host.pid); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100); } });
         host.send({ type: 'run', id: 1, command: 'yes', args: [] });`,
      ],
      { env: { ...process.env, HOST_SOURCE, STDERR_FILE: stderrFile }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const hostPid = Number((await text(parent.stdout!)).trim());
    expect(hostPid).toBeGreaterThan(0);
    await expect.poll(() => { try { process.kill(hostPid, 0); return true; } catch { return false; } }, { timeout: 10_000, interval: 50 }).toBe(false);
    expect(readFileSync(stderrFile, 'utf8')).toBe('');
  });

  it('refuses programs once closed', async () => {
    const other = new SpawnHost().start();
    await other.close();
    await expect(other.run('true', []).exited).rejects.toThrow(/closed/);
  });
});
