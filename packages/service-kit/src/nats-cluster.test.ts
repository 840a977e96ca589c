import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { Bus, type RunningConsumer } from './bus';
import { createLogger } from './logger';
import { NatsCluster } from './testing/nats-cluster';
import { testNamespace } from './testing/nats-namespace';

// A 3-node JetStream cluster (Debian's nats-server, on loopback): the streams are made with NATS_STREAM_REPLICAS
// copies, clients get every node's URL, and a kill -9 of the node leading the dispatch stream mid-load loses nothing.
const logger = createLogger('nats-cluster-test', 'silent');
const Job = z.object({ call_id: z.string() });
const TOTAL = 400;
const KILL_AFTER = 150;

let cluster: NatsCluster;
let bus: Bus;
let consumer: RunningConsumer | undefined;

beforeAll(async () => {
  cluster = await NatsCluster.start(3);
  bus = new Bus({ url: cluster.url, namespace: testNamespace(), name: 'cluster-test', logger, streamReplicas: 3 });
  await bus.connect();
  await bus.ensureStreams();
}, 60_000);
afterAll(async () => {
  await consumer?.stop();
  await bus?.close();
  await cluster?.stop();
});

/** JetStream publish with the retry every Parley publisher has (the outbox relay, the dialer's event publisher): same id, so at most once. */
async function publish(i: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.publishJs(bus.subjects.dispatch, Job, { call_id: `call-${i}` }, `msg-${i}`);
      return attempt;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

it('makes both streams with three replicas', async () => {
  for (const name of [bus.subjects.dispatchStream, bus.subjects.callEventsStream]) {
    const info = await bus.manager.streams.info(name);
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas?.length).toBe(2);
  }
});

it('loses no message when the node leading the stream is killed while messages are published and consumed', async () => {
  const handled = new Map<string, number>();
  consumer = await bus.consumeDurable({
    stream: bus.subjects.dispatchStream,
    durable: 'dialer',
    filterSubjects: [bus.subjects.dispatch],
    schema: Job,
    ackWaitMs: 5_000,
    retryDelayMs: 100,
    handler: async (job) => void handled.set(job.call_id, (handled.get(job.call_id) ?? 0) + 1),
  });
  let retried = 0;
  let killed = '';
  for (let i = 0; i < TOTAL; i++) {
    if (i === KILL_AFTER) {
      killed = (await bus.manager.streams.info(bus.subjects.dispatchStream)).cluster!.leader!;
      cluster.kill(killed);
    }
    retried += (await publish(i)) - 1;
  }
  const end = Date.now() + 60_000;
  while (handled.size < TOTAL && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(handled.size).toBe(TOTAL);
  // A new leader took over among the two left, and the stream still holds its copies there.
  const after = await bus.manager.streams.info(bus.subjects.dispatchStream);
  expect(after.cluster?.leader).toBeTruthy();
  expect(after.cluster?.leader).not.toBe(killed);
  // Redeliveries may repeat a message (at least once); none is missing. How many publishes had to be retried:
  logger.info({ retried, redelivered: [...handled.values()].filter((n) => n > 1).length }, 'failover');
}, 120_000);
