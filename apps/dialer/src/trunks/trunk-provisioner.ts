import { AriError } from '@parley/ari-client';
import { TrunksChangedMessage } from '@parley/common';
import { SecretBox, type TrunkEntity, type TrunkStatesRepository, type TrunksRepository } from '@parley/db';
import type { Bus, Logger } from '@parley/service-kit';
import type { Subscription } from 'nats';
import { type AsteriskConnection, type AsteriskConnections, DEFAULT_ASTERISK } from '../telephony/asterisk-connections';

type PjsipObject = { type: 'auth' | 'aor' | 'endpoint' | 'identify' | 'registration'; id: string; fields: Record<string, string> };

/** The PJSIP objects (sorcery, res_pjsip) that make one trunk dialable and reachable for inbound calls. */
export function pjsipObjectsOf(trunk: TrunkEntity, password: string | null, inboundContext: string): PjsipObject[] {
  const id = trunk.id;
  const hostPort = `${trunk.host}:${trunk.port}`;
  const transportParam = trunk.transport === 'udp' ? '' : `;transport=${trunk.transport}`;
  const hasAuth = Boolean(trunk.username && password);
  const objects: PjsipObject[] = [];
  if (hasAuth) objects.push({ type: 'auth', id: `${id}-auth`, fields: { auth_type: 'userpass', username: trunk.username!, password: password! } });
  objects.push({ type: 'aor', id, fields: { contact: `sip:${hostPort}${transportParam}`, qualify_frequency: '60' } });
  objects.push({
    type: 'endpoint',
    id,
    fields: {
      transport: `transport-${trunk.transport}`,
      context: inboundContext,
      disallow: 'all',
      allow: trunk.codecs.join(','),
      aors: id,
      ...(hasAuth ? { outbound_auth: `${id}-auth` } : {}),
      ...(trunk.fromDomain ? { from_domain: trunk.fromDomain } : {}),
      ...(trunk.username ? { from_user: trunk.username } : {}),
      direct_media: 'no',
      rtp_symmetric: 'yes',
      force_rport: 'yes',
      rewrite_contact: 'yes',
      dtmf_mode: 'rfc4733',
      send_pai: 'yes',
    },
  });
  objects.push({ type: 'identify', id, fields: { endpoint: id, match: trunk.host } });
  if (trunk.register && hasAuth) {
    objects.push({
      type: 'registration',
      id: `${id}-reg`,
      fields: {
        transport: `transport-${trunk.transport}`,
        outbound_auth: `${id}-auth`,
        server_uri: `sip:${hostPort}${transportParam}`,
        client_uri: `sip:${trunk.username}@${trunk.fromDomain ?? trunk.host}`,
        contact_user: trunk.username!,
        retry_interval: '60',
        line: 'yes',
        endpoint: id,
      },
    });
  }
  return objects;
}

/** Every object a trunk can have, in push order. */
function possibleObjectsOf(trunkId: string): Pick<PjsipObject, 'type' | 'id'>[] {
  return [
    { type: 'auth', id: `${trunkId}-auth` },
    { type: 'aor', id: trunkId },
    { type: 'endpoint', id: trunkId },
    { type: 'identify', id: trunkId },
    { type: 'registration', id: `${trunkId}-reg` },
  ];
}

/**
 * Pushes customer trunks through ARI's dynamic configuration (`asterisk/config/dynamic/res_pjsip`) to every connected
 * Asterisk that carries them (the trunk's `asterisks`, or every registered one), at start, when an Asterisk connects
 * and whenever the api says trunks changed; an Asterisk that no longer carries a trunk has it removed. Sandbox trunks
 * live in the simulator and are not pushed. Each trunk's outcome per Asterisk (pushed, which version; refused, with
 * Asterisk's words; or no Asterisk to push to) goes to `trunk_states`, and one trunk an Asterisk refuses does not keep
 * the others out.
 */
export class TrunkProvisioner {
  private readonly box: SecretBox;
  private sub: Subscription | undefined;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { trunks: TrunksRepository; states: TrunkStatesRepository; bus: Bus; connections: AsteriskConnections; secretKey: string; previousSecretKey?: string; inboundContext: string; logger: Logger },
  ) {
    this.box = new SecretBox(deps.secretKey, deps.previousSecretKey);
  }

  start(): void {
    const { bus } = this.deps;
    this.sub = bus.subscribe(bus.subjects.trunksChanged, TrunksChangedMessage, (msg) => {
      void this.sync(msg.trunk_id ? { trunkId: msg.trunk_id } : { accountId: msg.account_id }).catch((err: Error) =>
        this.deps.logger.error({ err, ...msg }, 'trunk sync failed'),
      );
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /**
   * Pushes the trunks in scope (all non-sandbox trunks by default; `asterisk`: to that Asterisk only, as it connects);
   * a trunk id that no longer exists is removed. Syncs run one at a time, each reading the trunks when it starts, so an
   * older read never overwrites a newer one.
   */
  sync(scope: { trunkId?: string; accountId?: string; asterisk?: string } = {}): Promise<number> {
    const run = this.syncing.then(() => this.syncNow(scope));
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async syncNow(scope: { trunkId?: string; accountId?: string; asterisk?: string }): Promise<number> {
    const { connections, states, trunks: repo, logger } = this.deps;
    const trunks = await repo.customerTrunks(scope);
    const inScope = (c: AsteriskConnection) => c.isConnected && (!scope.asterisk || c.name === scope.asterisk);
    let pushed = 0;
    for (const trunk of trunks) {
      const carriers = connections.carriersOf(trunk);
      if (carriers.length === 0) {
        // Nothing to push to: the trunk says so (its calls cannot go out until an Asterisk carries it).
        await states.recordProvisioning(trunk.id, { asterisk: DEFAULT_ASTERISK, outcome: 'no_asterisk', version: trunk.updatedAt });
        await states.keepOnly(trunk.id, [DEFAULT_ASTERISK]);
        continue;
      }
      await states.keepOnly(trunk.id, carriers.map((c) => c.name));
      for (const asterisk of carriers.filter(inScope)) {
        try {
          await this.push(asterisk, trunk);
          pushed++;
          await states.recordProvisioning(trunk.id, { asterisk: asterisk.name, outcome: 'pushed', version: trunk.updatedAt });
        } catch (err) {
          logger.error({ err, trunk_id: trunk.id, asterisk: asterisk.name }, 'pushing a trunk to Asterisk failed');
          const error = err instanceof AriError ? `Asterisk answered ${err.status}: ${err.asteriskMessage}` : (err as Error).message;
          await states.recordProvisioning(trunk.id, { asterisk: asterisk.name, outcome: 'failed', error, version: trunk.updatedAt });
        }
      }
      // Taken off an Asterisk (the trunk's `asterisks` changed): its objects there go.
      for (const other of connections.registered().filter((c) => inScope(c) && !carriers.includes(c))) {
        await this.remove(other, possibleObjectsOf(trunk.id)).catch((err: Error) => logger.warn({ err, trunk_id: trunk.id, asterisk: other.name }, 'removing a trunk from an Asterisk that no longer carries it failed'));
      }
    }
    if (scope.trunkId && trunks.length === 0) {
      for (const asterisk of connections.registered().filter(inScope)) await this.remove(asterisk, possibleObjectsOf(scope.trunkId));
      logger.info({ trunk_id: scope.trunkId }, 'trunk removed from Asterisk');
    }
    return pushed;
  }

  private async push(asterisk: AsteriskConnection, trunk: TrunkEntity): Promise<void> {
    let password: string | null = null;
    if (trunk.passwordEncrypted) {
      try {
        password = this.box.open(trunk.passwordEncrypted);
      } catch (err) {
        this.deps.logger.error({ err, trunk_id: trunk.id }, 'trunk password cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); pushed without auth');
      }
    }
    const objects = pjsipObjectsOf(trunk, password, this.deps.inboundContext);
    for (const o of objects) await asterisk.client.asterisk.putObject('res_pjsip', o.type, o.id, o.fields);
    // Auth or registration switched off since the last push.
    await this.remove(asterisk, possibleObjectsOf(trunk.id).filter((p) => !objects.some((o) => o.type === p.type && o.id === p.id)));
    this.deps.logger.info({ trunk_id: trunk.id, asterisk: asterisk.name, objects: objects.map((o) => `${o.type}/${o.id}`) }, 'trunk pushed to Asterisk');
  }

  private async remove(asterisk: AsteriskConnection, objects: Pick<PjsipObject, 'type' | 'id'>[]): Promise<void> {
    for (const o of [...objects].reverse()) {
      await asterisk.client.asterisk.deleteObject('res_pjsip', o.type, o.id).catch((err: unknown) => {
        if (!(err instanceof AriError && err.isNotFound)) throw err;
      });
    }
  }
}
