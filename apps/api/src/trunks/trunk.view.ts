import type { Trunk, TrunkStatus } from '@parley/common';
import type { TrunkEntity, TrunkState } from '@parley/db';

export function trunkView(t: TrunkEntity, state: TrunkState | undefined, now: Date = new Date()): Trunk {
  return {
    id: t.id,
    object: 'trunk',
    name: t.name,
    sandbox: t.sandbox,
    host: t.host,
    port: t.port,
    transport: t.transport,
    username: t.username,
    has_password: t.passwordEncrypted !== null,
    from_domain: t.fromDomain,
    codecs: t.codecs,
    max_concurrent_calls: t.maxConcurrentCalls,
    calls_per_second: t.callsPerSecond,
    register: t.register,
    status: trunkStatusOf(t, state, now),
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

/** The dialers' last report on a trunk (`trunk_states`), read against the trunk's current version and the clock. */
export function trunkStatusOf(t: Pick<TrunkEntity, 'sandbox' | 'register' | 'updatedAt'>, state: TrunkState | undefined, now: Date): TrunkStatus {
  const watched = state !== undefined && state.asteriskConnected && state.staleAfter !== null && state.staleAfter > now;
  const online = state?.endpointState === 'online';
  return {
    provisioning: provisioningOf(t, state),
    provisioning_error: state?.provisioning === 'failed' ? state.provisioningError : null,
    reachability: !watched ? 'unknown' : reachabilityOf(state),
    endpoint_state: state?.endpointState ?? null,
    contact_status: state?.contactStatus ?? null,
    roundtrip_ms: online && state.contactStatus === 'reachable' && state.roundtripUsec !== null ? Math.round(state.roundtripUsec / 100) / 10 : null,
    registration: t.register ? 'not_reported' : 'off',
    // Nothing to be connected to without an Asterisk; before any report, not known.
    asterisk_connected: state && state.provisioning !== 'no_asterisk' && (state.checkedAt || state.provisioning) ? state.asteriskConnected : null,
    changed_at: state?.changedAt?.toISOString() ?? null,
    checked_at: state?.checkedAt?.toISOString() ?? null,
  };
}

/**
 * Online is reachable. Offline is unreachable once a qualify said so; before the first qualify (Asterisk sends the
 * first OPTIONS at a random moment within qualify_frequency, so a trunk just pushed is offline for up to a minute) or
 * after a contact was replaced, it is not known yet.
 */
function reachabilityOf(state: TrunkState): TrunkStatus['reachability'] {
  if (state.endpointState === 'online') return 'reachable';
  if (state.endpointState === 'offline' && (state.contactStatus === 'unreachable' || state.contactStatus === 'reachable')) return 'unreachable';
  return 'unknown';
}

function provisioningOf(t: Pick<TrunkEntity, 'sandbox' | 'updatedAt'>, state: TrunkState | undefined): TrunkStatus['provisioning'] {
  if (t.sandbox) return 'built_in';
  if (!state?.provisioning) return 'pending';
  // What was pushed (or refused) is an older version of the trunk: the change has not reached Asterisk yet.
  if (!state.provisionedVersion || state.provisionedVersion.getTime() < t.updatedAt.getTime()) return 'pending';
  return state.provisioning;
}
