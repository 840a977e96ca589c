import { ById } from './by-id';
import { SimChannel } from './channel';
import { AriHttpError } from './errors';

/** The dialplan application of an outbound leg (and of an ExternalMedia channel) once dialed. */
export const OUTGOING_LINE = { app_name: 'AppDial2', app_data: '(Outgoing Line)' };

/** The channels that exist, by id, and the unique ids and names Asterisk gives new ones. */
export class Channels extends ById<SimChannel> {
  private pjsipCounter = 0;
  private uniqueCounter = 0;
  private readonly bootEpoch = Math.floor(Date.now() / 1000);

  constructor() {
    super('Channel not found');
  }

  /** Asterisk's uniqueid: boot time, then a counter. */
  uniqueId(): string {
    return `${this.bootEpoch}.${this.uniqueCounter++}`;
  }

  /** A PJSIP channel on `endpoint`, named as Asterisk names them (`PJSIP/trunk-00000001`). */
  newPjsip(id: string, endpoint: string, dialplan: { context: string; exten: string }): SimChannel {
    const name = `PJSIP/${endpoint}-${(this.pjsipCounter++).toString(16).padStart(8, '0')}`;
    return new SimChannel(id, 'pjsip', {
      name,
      device: `PJSIP/${endpoint}`,
      dialplan: { context: dialplan.context, exten: dialplan.exten, priority: 1, app_name: '', app_data: '' },
    });
  }
}

/**
 * Channel operations on a channel that exists but is not in a Stasis app (not yet, or no longer): Asterisk's
 * find_control answers 409 (res/ari/resource_channels.c); bridges/{id}/addChannel answers 422 instead.
 */
export function requireStasis(ch: SimChannel): void {
  if (!ch.inStasis) throw new AriHttpError(409, { message: 'Channel not in Stasis application' });
}
