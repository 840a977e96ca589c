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
