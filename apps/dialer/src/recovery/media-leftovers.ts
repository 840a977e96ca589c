import { AriError } from '@parley/ari-client';
import type { CallsRepository } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { LiveCalls } from '../calls/live-calls';
import { mediaObjectIds } from '../media/media-leg';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { AsteriskConnection } from '../telephony/asterisk-connections';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const prefixes = mediaObjectIds('');
const BRIDGE_ID = new RegExp(`^${prefixes.bridgeId}(${UUID})$`, 'i');
const EXTERNAL_CHANNEL_ID = new RegExp(`^${prefixes.externalChannelId}(${UUID})$`, 'i');

type Kind = 'bridge' | 'external_media';
interface Leftover {
  kind: Kind;
  id: string;
  callId: string;
}

/**
 * Removes the mixing bridges and ExternalMedia channels that a call's media path leaves in Asterisk when its dialer
 * died: Asterisk keeps both (Up, in Stasis, holding RTP ports) after the app's WebSocket is gone. Only objects named
 * by Parley's ids (`bridge-<call id>`, `media-<call id>`) whose call is over in Postgres are removed: a live call's
 * objects, whichever dialer owns it, are left to that dialer or to the adoption that takes it over.
 */
export class MediaLeftovers {
  constructor(
    private readonly deps: { calls: CallsRepository; liveCalls: LiveCalls; metrics: DialerMetrics; logger: Logger },
  ) {}

  /** Lists the connection's bridges and channels and removes those of calls that ended; returns how many. */
  async sweep(conn: AsteriskConnection): Promise<number> {
    const [bridges, channels] = await Promise.all([conn.client.bridges.list(), conn.client.channels.list()]);
    const found: Leftover[] = [
      ...bridges.flatMap((b) => leftover('bridge', b.id, BRIDGE_ID)),
      ...channels.flatMap((c) => leftover('external_media', c.id, EXTERNAL_CHANNEL_ID)),
    ].filter((l) => !this.deps.liveCalls.get(l.callId));
    if (found.length === 0) return 0;
    const ended = await this.deps.calls.endedAmong([...new Set(found.map((l) => l.callId))]);
    return this.remove(conn, found.filter((l) => ended.has(l.callId)));
  }

  /** Removes one call's bridge and ExternalMedia channel, for a call this dialer has just ended as orphaned. */
  removeFor(conn: AsteriskConnection, callId: string): Promise<number> {
    const ids = mediaObjectIds(callId);
    return this.remove(conn, [
      { kind: 'bridge', id: ids.bridgeId, callId },
      { kind: 'external_media', id: ids.externalChannelId, callId },
    ]);
  }

  private async remove(conn: AsteriskConnection, leftovers: Leftover[]): Promise<number> {
    const { metrics, logger } = this.deps;
    let removed = 0;
    for (const l of leftovers) {
      try {
        if (l.kind === 'bridge') await conn.client.bridges.destroy(l.id);
        else await conn.client.channels.hangup(l.id);
      } catch (err) {
        if (!(err instanceof AriError && err.isNotFound)) logger.warn({ err, call_id: l.callId, [l.kind]: l.id }, 'could not remove a leftover media object');
        continue;
      }
      removed += 1;
      metrics.leftoversRemoved.inc({ kind: l.kind });
      logger.info({ call_id: l.callId, kind: l.kind, id: l.id, asterisk: conn.name }, 'removed a media object left by an ended call');
    }
    return removed;
  }
}

function leftover(kind: Kind, id: string, pattern: RegExp): Leftover[] {
  const m = pattern.exec(id);
  return m ? [{ kind, id, callId: m[1]!.toLowerCase() }] : [];
}
