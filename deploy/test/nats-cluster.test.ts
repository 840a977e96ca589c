import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, createLogger, testNamespace } from '@parley/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComposeFile } from './support/compose';
import { readComposeRaw } from './support/compose';
import { path, read } from './support/repo';

// deploy/nats-cluster.yml, the compose override for a 3-node NATS cluster: its three nodes' command lines are run as
// they are with Debian's nats-server (each on its own loopback address in place of its compose host name, /data in a
// temporary folder), and the services' streams get their three copies on it.
const override = readComposeRaw(path('deploy/nats-cluster.yml')) as ComposeFile;
const NODES = ['nats', 'nats-2', 'nats-3'] as const;
const ADDRESS: Record<string, string> = { nats: '127.0.1.1', 'nats-2': '127.0.1.2', 'nats-3': '127.0.1.3' };

const command = (name: string) => override.services[name]!.command as string[];
const option = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('deploy/nats-cluster.yml', () => {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'parley-compose-nats-'));
  afterAll(async () => {
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGKILL'))))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('has three JetStream nodes with their own names and volumes, routed to each other, in one cluster', () => {
    expect(Object.keys(override.services).sort()).toEqual([...NODES]);
    const args = NODES.map(command);
    for (const a of args) {
      expect(a).toContain('-js');
      expect(option(a, '--cluster_name')).toBe('parley');
      expect(option(a, '--routes')!.split(',').sort()).toEqual(NODES.map((n) => `nats://${n}:6222`).sort());
    }
    expect(new Set(args.map((a) => option(a, '-n'))).size).toBe(3);
    expect(new Set(NODES.map((n) => String(override.services[n]!.volumes)))).toHaveProperty('size', 3);
    // The way in, as the file's own comment and .env.example say it.
    expect(read('deploy/nats-cluster.yml')).toContain('NATS_URL=nats://nats:4222,nats://nats-2:4222,nats://nats-3:4222');
    expect(read('.env.example')).toMatch(/^NATS_STREAM_REPLICAS=/m);
  });

  it('forms a cluster when its commands run, whose health check passes and on which the streams keep three copies', async () => {
    for (const name of NODES) {
      const args = command(name).map((a) => {
        let out = a.replace('/data', join(dir, name)).replace('0.0.0.0', ADDRESS[name]!);
        for (const n of NODES) out = out.replaceAll(`//${n}:`, `//${ADDRESS[n]}:`);
        return out;
      });
      children.push(spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', ADDRESS[name]!, ...args], { stdio: 'ignore' }));
    }
    // The compose health check's URL, on each node (JetStream enabled and current).
    for (const name of NODES) {
      const url = `http://${ADDRESS[name]}:8222/healthz?js-enabled-only=true`;
      for (let i = 0; ; i++) {
        const ok = await fetch(url).then((r) => r.ok, () => false);
        if (ok) break;
        if (i > 150) throw new Error(`${name} never healthy`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const bus = new Bus({ url: NODES.map((n) => `nats://${ADDRESS[n]}:4222`).join(','), namespace: testNamespace(), name: 'compose-cluster', logger: createLogger('compose-cluster', 'silent'), streamReplicas: 3 });
    await bus.connect();
    try {
      // Waits for the meta leader (elected a moment after the nodes answer their health checks) and each stream's leader,
      // as every service does at start.
      await bus.ensureStreams();
      const info = await bus.manager.streams.info(bus.subjects.dispatchStream);
      expect(info.config.num_replicas).toBe(3);
      expect([info.cluster!.leader, ...info.cluster!.replicas!.map((r) => r.name)].sort()).toEqual(NODES.map((n) => option(command(n), '-n')).sort());
    } finally {
      await bus.close();
    }
  }, 60_000);
});
