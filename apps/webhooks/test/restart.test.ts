import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallId, startHarness, startReceiver, until } from './harness';

const appDir = join(__dirname, '..');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The real service as its own process, so it can be killed without any chance to clean up. */
async function spawnService(env: Record<string, string | undefined>): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(appDir, 'dist/main.js')], { env: { ...env, WEBHOOKS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`webhooks exited: ${stderr}`);
    return fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
  });
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('webhooks service killed with retries pending', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: appDir, stdio: 'inherit' });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await kill(c);
    await h?.close();
  });

  it('delivers every event exactly once to an idempotent receiver after a restart', async () => {
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE_MS: '4000,500,500,500', WEBHOOK_LEASE_MS: '3000', WEBHOOK_TIMEOUT_MS: '1000' });
    // Idempotent receiver: refuses the first sight of every webhook-id (so each needs a retry), then processes each id once.
    const seen = new Set<string>();
    const processed = new Map<string, string>(); // webhook-id -> event key
    const rx = await startReceiver((r, res) => {
      const id = r.headers['webhook-id'] as string;
      if (!seen.has(id)) {
        seen.add(id);
        res.statusCode = 503;
        return res.end();
      }
      if (!processed.has(id)) processed.set(id, `${r.json.data.call_id}:${(r.json.data.segment as { index: number }).index}`);
      res.end('ok');
    });
    await h.createEndpoint(rx.url, ['call.transcript']);
    const expected: string[] = [];
    const publishBatch = async (n: number) => {
      const callId = newCallId();
      for (let i = 0; i < n; i++) {
        await h.publish('transcript', callId, { segment: { index: i, role: 'user', text: `line ${i}`, start_ms: i, end_ms: i + 1, interrupted: false } });
        expected.push(`${callId}:${i}`);
      }
    };

    children.push(await spawnService(h.env));
    await publishBatch(40);
    await until(async () => {
      const [{ n }] = await h.db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE attempts >= 1`);
      return n === 40;
    });
    await kill(children[0]!);
    const [{ pending }] = await h.db.dataSource.query(`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status = 'pending'`);
    expect(pending).toBeGreaterThan(0);

    await publishBatch(20); // arrives while the service is down: waits in JetStream
    children.push(await spawnService(h.env));
    await until(async () => {
      const [{ n }] = await h.db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'`);
      return n === 60;
    }, 60_000);

    const perEvent = new Map<string, number>();
    for (const key of processed.values()) perEvent.set(key, (perEvent.get(key) ?? 0) + 1);
    expect([...perEvent.keys()].sort()).toEqual([...expected].sort());
    expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
    const [{ rows }] = await h.db.dataSource.query(`SELECT count(*)::int AS rows FROM webhook_deliveries`);
    expect(rows).toBe(60);
    await rx.close();
  }, 120_000);
});
