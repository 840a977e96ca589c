import { randomBytes } from 'node:crypto';
import { connect } from 'nats';

/** A random NATS namespace for one test file, and a cleanup that deletes the streams it created. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export async function deleteNamespaceStreams(natsUrl: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(`${namespace}_`)) names.push(s.config.name);
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** One line per durable consumer of the namespace's streams: what it has delivered, what waits for an ack, what is undelivered. */
export async function describeNamespaceConsumers(natsUrl: string, namespace: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const lines: string[] = [];
    for await (const s of jsm.streams.list()) {
      if (!s.config.name.startsWith(`${namespace}_`)) continue;
      for await (const c of jsm.consumers.list(s.config.name)) {
        lines.push(
          `${s.config.name}/${c.name}: delivered stream seq ${c.delivered.stream_seq}, ack floor ${c.ack_floor.stream_seq}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, undelivered ${c.num_pending}, waiting pulls ${c.num_waiting}`,
        );
      }
    }
    return lines;
  } finally {
    await nc.close();
  }
}
