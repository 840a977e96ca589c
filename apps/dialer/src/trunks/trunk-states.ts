import type { AriEvent } from '@parley/ari-client';
import type { TrunkContactStatus, TrunkEndpointState, TrunkStatesRepository, TrunksRepository } from '@parley/db';
import { type Logger, PeriodicCheck } from '@parley/service-kit';
import type { AsteriskConnection, AsteriskConnections } from '../telephony/asterisk-connections';
import { trunkEndpointName } from './trunk-endpoint';

/** Endpoints Parley pushed are named by their trunk's id; an Asterisk's other endpoints (its phones) are not ours. */
const TRUNK_ENDPOINT = /^trk_[0-9A-Za-z]+$/;
const CONTACT_STATUSES: ReadonlySet<string> = new Set<TrunkContactStatus>(['reachable', 'unreachable', 'unknown', 'nonqualified', 'removed']);
const ENDPOINT_STATES: ReadonlySet<string> = new Set<TrunkEndpointState>(['online', 'offline', 'unknown']);

export interface TrunkStatesDeps {
  trunks: TrunksRepository;
  states: TrunkStatesRepository;
  connections: AsteriskConnections;
  intervalMs: number;
  logger: Logger;
  /** A pushed trunk's endpoint is gone from Asterisk (it restarted and lost what ARI pushed): push it again. */
  onMissing(trunkId: string): void;
}

/**
 * What the dialer knows of each trunk's reachability on each Asterisk that carries it, written to `trunk_states` (one
 * row per trunk and Asterisk) for the api: the endpoint's state from every Asterisk it is connected to (read at start, on every reconnect and every `intervalMs`; in between,
 * PeerStatusChange: Asterisk sends an app subscribed to everything that one, not EndpointStateChange, which goes only
 * to apps subscribed to the endpoint by name) and its contact's qualify result (ContactStatusChange, which Asterisk
 * sends only when the status changes, with the round trip measured then). Asterisk reports nothing of outbound
 * registrations over ARI, so neither can this.
 */
export class TrunkStates {
  private readonly periodic: PeriodicCheck;

  constructor(private readonly deps: TrunkStatesDeps) {
    this.periodic = new PeriodicCheck({ what: 'checking trunk states', intervalMs: deps.intervalMs, logger: deps.logger }, () => this.run());
  }

  /** A check holds three intervals: after that without a newer one, the api says nobody is watching. */
  private get staleAfterMs(): number {
    return this.deps.intervalMs * 3;
  }

  start(): void {
    this.periodic.start();
    void this.check();
  }

  stop(): void {
    void this.periodic.stop();
  }

  /** Endpoint events of pushed trunks (the sandbox's one endpoint is only read by `check`). */
  onEvent(conn: AsteriskConnection, event: AriEvent): void {
    if (conn.isSandbox) return;
    if (event.type !== 'PeerStatusChange' && event.type !== 'EndpointStateChange' && event.type !== 'ContactStatusChange') return;
    const { technology, resource } = event.endpoint;
    if (technology !== 'PJSIP' || !TRUNK_ENDPOINT.test(resource)) return;
    const { states, logger } = this.deps;
    let write: Promise<void>;
    if (event.type === 'ContactStatusChange') write = states.recordContact(resource, conn.name, contactOf(event.contact_info));
    else {
      // A peer's status is the endpoint's state as it changed (Reachable: online); an EndpointStateChange says it itself.
      const state = event.type === 'PeerStatusChange' ? peerStateOf(event.peer.peer_status) : endpointStateOf(event.endpoint.state);
      if (!state) return;
      write = states.recordEndpointState(resource, conn.name, state, this.staleAfterMs);
    }
    void write.catch((err: Error) => logger.warn({ err, trunk_id: resource, event: event.type }, 'recording a trunk state change failed'));
  }

  /** Reads every trunk's endpoint from its Asterisk now (one at a time: a check asked for during one joins it). */
  check(): Promise<void> {
    return this.periodic.tick();
  }

  private async run(): Promise<void> {
    const { trunks, connections } = this.deps;
    const all = await trunks.watched();
    await this.checkOn(connections.sandbox, all.filter((t) => t.sandbox).map((t) => t.id), 'sandbox');
    const customer = all.filter((t) => !t.sandbox);
    for (const conn of connections.registered()) {
      await this.checkOn(conn, customer.filter((t) => connections.carriersOf(t).includes(conn)).map((t) => t.id), 'customer').catch((err: Error) =>
        this.deps.logger.warn({ err, asterisk: conn.name }, 'checking trunk states on an Asterisk failed'),
      );
    }
  }

  private async checkOn(conn: AsteriskConnection, trunkIds: string[], kind: 'sandbox' | 'customer'): Promise<void> {
    const { states, logger } = this.deps;
    if (trunkIds.length === 0) return;
    if (!conn.isConnected) {
      await states.recordDisconnected(conn.name, trunkIds);
      return;
    }
    const endpoints = await conn.client.endpoints.listByTech('PJSIP');
    const stateByName = new Map(endpoints.map((e) => [e.resource, endpointStateOf(e.state)]));
    const checks = trunkIds.map((trunkId) => ({ trunkId, endpointState: stateByName.get(trunkEndpointName({ id: trunkId, sandbox: kind === 'sandbox' })) ?? ('missing' as const) }));
    await states.recordChecks(conn.name, checks, this.staleAfterMs);
    if (kind !== 'customer') return;
    for (const { trunkId } of checks.filter((c) => c.endpointState === 'missing')) {
      logger.info({ trunk_id: trunkId, asterisk: conn.name }, "trunk's endpoint is missing from Asterisk; pushing it again");
      this.deps.onMissing(trunkId);
    }
  }
}

function endpointStateOf(state: string | undefined): TrunkEndpointState {
  return state && ENDPOINT_STATES.has(state) ? (state as TrunkEndpointState) : 'unknown';
}

function peerStateOf(peerStatus: string): TrunkEndpointState | null {
  if (peerStatus === 'Reachable') return 'online';
  if (peerStatus === 'Unreachable') return 'offline';
  return null;
}

function contactOf(info: { uri: string; contact_status: string; roundtrip_usec?: string }): { status: TrunkContactStatus; uri: string; roundtripUsec: number | null } {
  const lower = info.contact_status.toLowerCase();
  const status = CONTACT_STATUSES.has(lower) ? (lower as TrunkContactStatus) : 'unknown';
  const rtt = Number(info.roundtrip_usec);
  // Asterisk sends "0" for an unreachable contact: no round trip was measured.
  return { status, uri: info.uri, roundtripUsec: status === 'reachable' && Number.isFinite(rtt) && rtt > 0 ? rtt : null };
}
