import type { PhoneNumbersRepository, TrunksRepository } from '@parley/db';
import { SANDBOX_ASTERISK } from '../telephony/asterisk-connections';
import { endpointOfChannelName } from '../trunks/trunk-endpoint';

/**
 * The trunk an inbound call came in on, or null when it cannot be told (the call is then rejected: a number may be on
 * several trunks of several accounts, so a guess could hand one account's caller to another's agent).
 *
 * On the real Asterisk the channel says it: a PJSIP channel is named after its endpoint (`PJSIP/<endpoint>-<seq>`) and
 * TrunkProvisioner names each customer trunk's endpoint after the trunk id. On an endpoint Parley did not push (a
 * hand-written pjsip.conf), the dialed number decides, when exactly one customer trunk holds it. The simulator's one
 * `sandbox` endpoint serves every account's sandbox trunk, so there too the number decides among sandbox trunks.
 */
export async function inboundTrunkOf(
  repositories: { trunks: TrunksRepository; numbers: PhoneNumbersRepository },
  call: { asterisk: string; channelName: string; to: string },
): Promise<string | null> {
  const sandbox = call.asterisk === SANDBOX_ASTERISK;
  const endpoint = endpointOfChannelName(call.channelName);
  if (!sandbox && endpoint && (await repositories.trunks.isCustomerTrunk(endpoint))) return endpoint;
  return (await repositories.numbers.onlyHolder(call.to, { sandbox }))?.trunkId ?? null;
}
