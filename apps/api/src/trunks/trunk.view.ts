import type { Trunk, TrunkAsteriskStatus, TrunkStatus } from '@parley/common';
import type { TrunkEntity, TrunkState } from '@parley/db';

export function trunkView(t: TrunkEntity, states: TrunkState[], now: Date = new Date()): Trunk {
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
    asterisks: t.asterisks,
    status: trunkStatusOf(t, states, now),
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

type OneAsterisk = Omit<TrunkStatus, 'asterisks'>;
const PROVISIONING_RANK: Record<TrunkStatus['provisioning'], number> = { failed: 4, no_asterisk: 3, pending: 2, pushed: 1, built_in: 0 };
const REACHABILITY_RANK: Record<TrunkStatus['reachability'], number> = { reachable: 2, unreachable: 1, unknown: 0 };

/**
 * The dialers' last reports on a trunk (`trunk_states`, one per Asterisk that carries it), read against the trunk's
 * current version and the clock, and summed up: reachable when reachable on any Asterisk (calls go out through it),
 * provisioning the worst of them (pushed only once every reporting Asterisk has this version), the other details those
 * of the best Asterisk (reachable first, then the most recently checked).
 */
export function trunkStatusOf(t: Pick<TrunkEntity, 'sandbox' | 'register' | 'updatedAt'>, states: TrunkState[], now: Date): TrunkStatus {
  const each = states.map((state) => ({ state, status: oneAsteriskStatus(t, state, now) }));
  if (each.length === 0) return { ...oneAsteriskStatus(t, undefined, now), asterisks: [] };
  const best = [...each].sort((a, b) => REACHABILITY_RANK[b.status.reachability] - REACHABILITY_RANK[a.status.reachability] || (b.state.checkedAt?.getTime() ?? 0) - (a.state.checkedAt?.getTime() ?? 0))[0]!;
  const worst = [...each].sort((a, b) => PROVISIONING_RANK[b.status.provisioning] - PROVISIONING_RANK[a.status.provisioning])[0]!;
  const connected = each.map((e) => e.status.asterisk_connected).filter((c): c is boolean => c !== null);
  return {
    ...best.status,
    provisioning: worst.status.provisioning,
    provisioning_error: worst.status.provisioning_error,
    asterisk_connected: connected.length === 0 ? null : connected.some(Boolean),
    asterisks: each.map(({ state, status }): TrunkAsteriskStatus => ({
      asterisk: state.asterisk,
      provisioning: status.provisioning,
      provisioning_error: status.provisioning_error,
      reachability: status.reachability,
      endpoint_state: status.endpoint_state,
      asterisk_connected: status.asterisk_connected,
      checked_at: status.checked_at,
    })),
  };
}

/** One Asterisk's report on the trunk. */
function oneAsteriskStatus(t: Pick<TrunkEntity, 'sandbox' | 'register' | 'updatedAt'>, state: TrunkState | undefined, now: Date): OneAsterisk {
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
