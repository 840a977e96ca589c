import { DispatchMessage } from '@parley/common';
import type { AsterisksRepository, CallsRepository, DialerInstancesRepository, PhoneNumbersRepository, TrunkSlotsRepository, TrunkStatesRepository, TrunksRepository } from '@parley/db';
import type { Bus, Logger, Metrics, Readiness, RunningConsumer } from '@parley/service-kit';
import { MediaPlacement } from '@parley/service-kit';
import { CallEventPublisher } from './calls/call-event-publisher';
import { LiveCalls } from './calls/live-calls';
import { DialerCommands } from './commands/dialer-commands';
import type { DialerConfig } from './config';
import { OriginationQueue } from './dispatch/origination-queue';
import { Originator } from './dispatch/originator';
import { InboundRouter } from './inbound/inbound-router';
import { MediaHolderWatch, NatsHolderProbe } from './media/media-holder-watch';
import { DialerMetrics } from './metrics/dialer-metrics';
import { CallWatchdog } from './recovery/call-watchdog';
import { ChannelAdoption } from './recovery/channel-adoption';
import { DialerPresence } from './recovery/dialer-presence';
import { MediaLeftovers } from './recovery/media-leftovers';
import { OrphanWatch } from './recovery/orphan-watch';
import { AsteriskConnections } from './telephony/asterisk-connections';
import { AsteriskRegistry } from './telephony/asterisk-registry';
import { TrunkCapacity } from './trunks/trunk-capacity';
import { TrunkProvisioner } from './trunks/trunk-provisioner';
import { TrunkStates } from './trunks/trunk-states';

/** The dialer's queries, on the service's pool. */
export interface DialerRepositories {
  calls: CallsRepository;
  trunks: TrunksRepository;
  numbers: PhoneNumbersRepository;
  slots: TrunkSlotsRepository;
  dialers: DialerInstancesRepository;
  trunkStates: TrunkStatesRepository;
  asterisks: AsterisksRepository;
}

export interface DialerDeps {
  config: DialerConfig;
  bus: Bus;
  repositories: DialerRepositories;
  /** The dialer's lease, on a connection of its own (see DialerPresence), apart from the pool call traffic shares. */
  lease: DialerInstancesRepository;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
}

/** Durable consumer name shared by every dialer: JetStream spreads dispatch messages over them. */
export const DISPATCH_CONSUMER = 'dialer';

/**
 * The dialer's parts, wired together by hand (see the README's "Wiring"), with start-up and graceful shutdown in the
 * order that loses no event.
 */
export class Dialer {
  readonly connections: AsteriskConnections;
  readonly registry: AsteriskRegistry;
  readonly liveCalls: LiveCalls;
  readonly placement: MediaPlacement;
  readonly queue: OriginationQueue;
  readonly capacity: TrunkCapacity;
  readonly adoption: ChannelAdoption;
  readonly watchdog: CallWatchdog;
  readonly mediaHolders: MediaHolderWatch;
  readonly orphans: OrphanWatch;
  readonly provisioner: TrunkProvisioner;
  readonly trunkStates: TrunkStates;
  private readonly publisher: CallEventPublisher;
  private readonly presence: DialerPresence;
  private readonly commands: DialerCommands;
  private readonly inbound: InboundRouter;
  private consumer: RunningConsumer | undefined;
  private stopped = false;
  private fenced = false;

  constructor(private readonly deps: DialerDeps) {
    const { config, bus, repositories, logger } = deps;
    const { calls, trunks, numbers, slots, dialers, trunkStates, asterisks } = repositories;
    const metrics = new DialerMetrics(deps.metrics);
    this.connections = new AsteriskConnections(config, logger);
    this.publisher = new CallEventPublisher(bus, logger, () => config.SHUTDOWN_TIMEOUT_MS);
    this.presence = new DialerPresence(deps.lease, config.DIALER_ID, { heartbeatMs: config.DIALER_HEARTBEAT_MS, leaseMs: config.DIALER_DEAD_AFTER_MS }, logger, metrics);
    this.presence.onLost = () => this.fence();
    this.capacity = new TrunkCapacity(slots, this.presence);
    this.placement = new MediaPlacement({ bus, logger, metrics: deps.metrics });
    this.liveCalls = new LiveCalls({ bus, placement: this.placement, publisher: this.publisher, capacity: this.capacity, config, metrics, logger });
    this.registry = new AsteriskRegistry({
      asterisks,
      connections: this.connections,
      inUse: (conn) => this.liveCalls.list().some((c) => c.conn === conn),
      // A new Asterisk gets its trunks when it connects; trunks of a retired one say where they are carried now.
      onChanged: (change) => {
        if (change.retired.length > 0) void this.provisioner.sync().catch((err: Error) => logger.error({ err }, 'recording trunks after an Asterisk left failed'));
      },
      config,
      logger,
    });
    const loadOf = (conn: { name: string }) => this.liveCalls.countOn(conn.name) + this.registry.othersLoadOf(conn.name);
    metrics.asterisks = () => this.connections.all().map((c) => ({ name: c.name, connected: c.isConnected, liveCalls: loadOf(c), capacity: c.capacity }));
    const originator = new Originator({ connections: this.connections, loadOf, liveCalls: this.liveCalls, publisher: this.publisher, config, metrics, logger });
    this.queue = new OriginationQueue({ originator, capacity: this.capacity, calls, trunks, metrics, logger, pollMs: config.DIALER_QUEUE_POLL_MS });
    this.commands = new DialerCommands({ bus, liveCalls: this.liveCalls, queue: this.queue, trunks, logger });
    this.inbound = new InboundRouter({ bus, trunks, numbers, liveCalls: this.liveCalls, capacity: this.capacity, config, logger });
    const leftovers = new MediaLeftovers({ calls, liveCalls: this.liveCalls, metrics, logger });
    this.adoption = new ChannelAdoption({ slots, dialers, connections: this.connections, liveCalls: this.liveCalls, capacity: this.capacity, leftovers, publisher: this.publisher, config, metrics, logger });
    this.mediaHolders = new MediaHolderWatch({ liveCalls: this.liveCalls, loads: this.placement.loads, probe: new NatsHolderProbe(bus), lost: metrics.mediaLost, intervalMs: config.DIALER_MEDIA_CHECK_MS, logger });
    this.orphans = new OrphanWatch({ connections: this.connections, adoption: this.adoption, intervalMs: config.DIALER_HEARTBEAT_MS, logger });
    this.watchdog = new CallWatchdog({ liveCalls: this.liveCalls, connections: this.connections, adoption: this.adoption, capacity: this.capacity, intervalMs: config.DIALER_WATCHDOG_INTERVAL_MS, logger });
    this.provisioner = new TrunkProvisioner({ trunks, states: trunkStates, bus, connections: this.connections, secretKey: config.PARLEY_SECRET_KEY, previousSecretKey: config.PARLEY_SECRET_KEY_PREVIOUS, inboundContext: config.ASTERISK_INBOUND_CONTEXT, logger });
    this.trunkStates = new TrunkStates({
      trunks,
      states: trunkStates,
      connections: this.connections,
      intervalMs: config.TRUNK_STATE_INTERVAL_MS,
      logger,
      onMissing: (trunkId) => void this.provisioner.sync({ trunkId }).catch((err: Error) => logger.error({ err, trunk_id: trunkId }, 'pushing a trunk again failed')),
    });
  }

  async start(): Promise<void> {
    const { bus, config, readiness, logger } = this.deps;
    await this.presence.start();
    await this.presence.prune().catch(() => undefined);
    readiness.register('dialer_lease', () => !this.fenced);
    // The registry first: the Asterisks it names (ARI_URL's included) are connected with the simulator.
    await this.registry.reload();
    readiness.register('ari_sandbox', () => this.connections.sandbox.isConnected);
    // Calls go out while any registered Asterisk is up (a down one is skipped); none registered is a valid install.
    readiness.register('ari_asterisks', () => this.connections.registered().length === 0 || this.connections.registered().some((c) => c.isConnected));
    this.placement.start();
    this.connections.start({
      onEvent: (conn, event) => {
        if (event.type === 'StasisStart' && this.inbound.accepts(event, this.liveCalls)) {
          void this.inbound.route(conn, event).catch((err: Error) => logger.error({ err, channel_id: event.channel.id }, 'inbound routing failed'));
          return;
        }
        this.trunkStates.onEvent(conn, event);
        this.liveCalls.onAriEvent(conn, event);
      },
      onConnected: (conn) => {
        void this.adoption.reconcile(conn);
        if (!conn.isSandbox) void this.provisioner.sync({ asterisk: conn.name }).catch((err: Error) => logger.error({ err, asterisk: conn.name }, 'pushing trunks to Asterisk failed'));
        void this.trunkStates.check();
      },
      onLost: (conn) => {
        const lost = this.liveCalls.list().filter((c) => c.conn === conn && !c.machine.isEnded);
        if (lost.length > 0) logger.warn({ asterisk: conn.name, calls: lost.length, after_ms: config.ASTERISK_LOST_AFTER_MS }, 'Asterisk unreachable: ending its calls asterisk_lost');
        for (const call of lost) this.liveCalls.endAsteriskLost(call);
      },
    });
    // With no Asterisk there is no connect to push on: the trunks are told so now.
    if (this.connections.registered().length === 0) void this.provisioner.sync().catch((err: Error) => logger.error({ err }, 'recording the trunks as not pushed failed'));
    this.registry.start();
    this.commands.start();
    this.provisioner.start();
    this.trunkStates.start();
    this.queue.start();
    this.watchdog.start();
    this.mediaHolders.start();
    this.orphans.start();
    this.consumer = await bus.consumeDurable({
      stream: bus.subjects.dispatchStream,
      durable: DISPATCH_CONSUMER,
      filterSubjects: [bus.subjects.dispatch],
      schema: DispatchMessage,
      handler: (msg, raw) => this.queue.submit(msg, raw),
      maxAckPending: config.DIALER_MAX_IN_FLIGHT,
      ackWaitMs: 30_000,
      retryDelayMs: 500,
    });
    logger.info({ dialer_id: config.DIALER_ID, asterisks: this.connections.all().map((c) => `${c.name}=${c.url}`), app: config.ARI_APP, codec: config.MEDIA_CODEC }, 'dialer started');
  }

  /**
   * Stops taking dispatch messages (queued calls go back to JetStream for other dialers), keeps tracking live calls
   * until they end or SHUTDOWN_TIMEOUT_MS passes, then leaves: calls still up are adopted by another dialer, or by
   * this one after its restart.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { config, logger } = this.deps;
    await this.queue.stop();
    await this.consumer?.stop();
    const live = this.liveCalls.size;
    if (live > 0) logger.info({ live_calls: live, timeout_ms: config.SHUTDOWN_TIMEOUT_MS }, 'waiting for live calls to end');
    const remaining = await this.liveCalls.whenIdle(config.SHUTDOWN_TIMEOUT_MS);
    if (remaining > 0) logger.warn({ live_calls: remaining }, 'leaving live calls to be adopted by another dialer');
    this.orphans.stop();
    this.watchdog.stop();
    this.mediaHolders.stop();
    this.commands.stop();
    this.provisioner.stop();
    this.trunkStates.stop();
    this.registry.stop();
    this.placement.stop();
    this.publisher.stop();
    await Promise.allSettled(this.liveCalls.list().map((c) => c.publishing));
    await this.presence.stop(true);
    await this.connections.close();
  }

  /**
   * The lease is gone (it ran out, or a newer process with this DIALER_ID took it): other dialers may own these calls
   * now, so this one stops acting at once (no dispatch, commands, adoption or ARI events) and reports itself not
   * ready; a restart gives it a new lease.
   */
  private fence(): void {
    if (this.fenced || this.stopped) return;
    this.fenced = true;
    this.orphans.stop();
    this.watchdog.stop();
    this.mediaHolders.stop();
    this.commands.stop();
    this.provisioner.stop();
    this.trunkStates.stop();
    this.registry.stop();
    void (async () => {
      await this.queue.stop();
      await this.consumer?.stop();
      await this.connections.close();
    })().catch((err: Error) => this.deps.logger.error({ err }, 'stopping after the lease was lost failed'));
  }
}
