/**
 * The PJSIP endpoint a trunk is dialed through: the simulator's built-in `sandbox` endpoint for sandbox trunks,
 * otherwise the endpoint TrunkProvisioner pushed to Asterisk under the trunk's id.
 */
export function trunkEndpointName(trunk: { id: string; sandbox: boolean }): string {
  return trunk.sandbox ? 'sandbox' : trunk.id;
}

/** `PJSIP/trk_abc-0000001a` -> `trk_abc`. */
export function endpointOfChannelName(name: string): string | null {
  const match = /^PJSIP\/(.+)-[0-9a-f]+$/i.exec(name);
  return match ? match[1]! : null;
}
