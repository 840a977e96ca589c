import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

/** One node of a loopback cluster: its name, client URL and process. */
export interface NatsNode {
  name: string;
  url: string;
  process: ChildProcess | null;
}

/**
 * A JetStream cluster of `size` nats-server processes on loopback (Debian's nats-server: per-node client and cluster
 * ports, per-node store directories), for tests of what losing a node does. `kill` is a `kill -9`.
 */
export class NatsCluster {
  private constructor(
    readonly nodes: NatsNode[],
    private readonly dir: string,
  ) {}

  /** All client URLs, comma-separated, as NATS_URL takes them. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  static async start(size = 3, bin = process.env.NATS_SERVER_BIN ?? 'nats-server'): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-nats-cluster-'));
    const ports = await freePorts(size * 2);
    const routes = Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${ports[size + i]}`).join(',');
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      const args = ['-a', '127.0.0.1', '-p', String(ports[i]), '-n', name, '-js', '-sd', join(dir, name), '--cluster_name', 'parley-test', '--cluster', `nats://127.0.0.1:${ports[size + i]}`, '--routes', routes];
      const child = spawn(bin, args, { stdio: 'ignore' });
      nodes.push({ name, url: `nats://127.0.0.1:${ports[i]}`, process: child });
    }
    const cluster = new NatsCluster(nodes, dir);
    await cluster.untilJetStreamReady();
    return cluster;
  }

  /** Until the JetStream meta group has a leader (streams can be made) as seen from every live node. */
  async untilJetStreamReady(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (const node of this.nodes.filter((n) => n.process)) {
      for (;;) {
        try {
          const nc = await connect({ servers: node.url, reconnect: false, timeout: 1000 });
          try {
            const jsm = await nc.jetstreamManager({ timeout: 2000 });
            await jsm.getAccountInfo();
            break;
          } finally {
            await nc.close();
          }
        } catch (err) {
          if (Date.now() > end) throw new Error(`JetStream not ready on ${node.name}: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  }

  /** `kill -9` of the named node. */
  kill(name: string): void {
    const node = this.nodes.find((n) => n.name === name);
    if (!node?.process) throw new Error(`no running node ${name}`);
    node.process.kill('SIGKILL');
    node.process = null;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (!n.process || n.process.exitCode !== null) return resolve();
            n.process.once('exit', () => resolve());
            n.process.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
