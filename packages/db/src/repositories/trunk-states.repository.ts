import { DbRepository } from './db-repository';

/** What pushing a trunk's PJSIP objects came to: pushed, refused by Asterisk, or no Asterisk to push to (no ARI_URL). */
export type TrunkProvisioningOutcome = 'pushed' | 'failed' | 'no_asterisk';
/** ARI's Endpoint.state, or `missing` when Asterisk has no such endpoint (GET answered 404). */
export type TrunkEndpointState = 'online' | 'offline' | 'unknown' | 'missing';
/** ARI's ContactInfo.contact_status, lower-cased. */
export type TrunkContactStatus = 'reachable' | 'unreachable' | 'unknown' | 'nonqualified' | 'removed';

/** A trunk's row for one Asterisk that carries it: what the dialers last learnt of it from that Asterisk. */
export interface TrunkState {
  trunkId: string;
  asterisk: string;
  provisioning: TrunkProvisioningOutcome | null;
  provisioningError: string | null;
  /** The trunk's `updated_at` that was pushed: an older one means a change is not in Asterisk yet. */
  provisionedVersion: Date | null;
  provisionedAt: Date | null;
  endpointState: TrunkEndpointState | null;
  contactStatus: TrunkContactStatus | null;
  contactUri: string | null;
  /** Measured by Asterisk's qualify when the contact's status last changed (Asterisk reports no later round trip). */
  roundtripUsec: number | null;
  /** When the endpoint's state or its contact's status last changed. */
  changedAt: Date | null;
  asteriskConnected: boolean;
  /** When a dialer last read the endpoint from a connected Asterisk. */
  checkedAt: Date | null;
  /** After this, with no newer check, nobody is watching the trunk (no dialer, or none connected to its Asterisk). */
  staleAfter: Date | null;
}

interface Row {
  trunk_id: string;
  asterisk: string;
  provisioning: TrunkProvisioningOutcome | null;
  provisioning_error: string | null;
  provisioned_version: Date | null;
  provisioned_at: Date | null;
  endpoint_state: TrunkEndpointState | null;
  contact_status: TrunkContactStatus | null;
  contact_uri: string | null;
  roundtrip_usec: string | null;
  changed_at: Date | null;
  asterisk_connected: boolean;
  checked_at: Date | null;
  stale_after: Date | null;
}

/** `changed_at` moves when `column` gets a different value; the same one again leaves it. */
const changedWhen = (column: 'endpoint_state' | 'contact_status') =>
  `CASE WHEN trunk_states.${column} IS DISTINCT FROM EXCLUDED.${column} THEN clock_timestamp() ELSE trunk_states.changed_at END`;
const STALE_AFTER = `clock_timestamp() + make_interval(secs => $3::double precision / 1000)`;

/**
 * The trunks' state as each Asterisk reports it to the dialers (`trunk_states`, one row per trunk and Asterisk). Every
 * write names the trunk through the trunks table, so a trunk deleted meanwhile gets no row (and its rows go with it).
 */
export class TrunkStatesRepository extends DbRepository {
  /** The outcome of pushing `version` (the trunk's updated_at) of a trunk to an Asterisk. */
  async recordProvisioning(trunkId: string, p: { asterisk: string; outcome: TrunkProvisioningOutcome; error?: string | null; version: Date | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO trunk_states (trunk_id, asterisk, provisioning, provisioning_error, provisioned_version, provisioned_at)
       SELECT id, $2, $3, $4, $5, clock_timestamp() FROM trunks WHERE id = $1
       ON CONFLICT (trunk_id, asterisk) DO UPDATE SET provisioning = EXCLUDED.provisioning, provisioning_error = EXCLUDED.provisioning_error,
         provisioned_version = EXCLUDED.provisioned_version, provisioned_at = EXCLUDED.provisioned_at`,
      [trunkId, p.asterisk, p.outcome, p.error ?? null, p.version],
    );
  }

  /**
   * Endpoint states read from a connected Asterisk (`GET /endpoints`), for many trunks in one statement; each check
   * holds until `staleAfterMs` from now.
   */
  async recordChecks(asterisk: string, checks: Array<{ trunkId: string; endpointState: TrunkEndpointState }>, staleAfterMs: number): Promise<void> {
    if (checks.length === 0) return;
    await this.db.query(
      `INSERT INTO trunk_states (trunk_id, asterisk, endpoint_state, changed_at, asterisk_connected, checked_at, stale_after)
       SELECT t.id, $1, c.endpoint_state, clock_timestamp(), true, clock_timestamp(), ${STALE_AFTER}
       FROM unnest($2::text[], $4::text[]) AS c(trunk_id, endpoint_state) JOIN trunks t ON t.id = c.trunk_id
       ON CONFLICT (trunk_id, asterisk) DO UPDATE SET endpoint_state = EXCLUDED.endpoint_state,
         changed_at = ${changedWhen('endpoint_state')},
         asterisk_connected = true, checked_at = EXCLUDED.checked_at, stale_after = EXCLUDED.stale_after`,
      [asterisk, checks.map((c) => c.trunkId), staleAfterMs, checks.map((c) => c.endpointState)],
    );
  }

  /** An endpoint's state as an EndpointStateChange event gave it. */
  async recordEndpointState(trunkId: string, asterisk: string, endpointState: TrunkEndpointState, staleAfterMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO trunk_states (trunk_id, asterisk, endpoint_state, changed_at, asterisk_connected, checked_at, stale_after)
       SELECT id, $2, $4, clock_timestamp(), true, clock_timestamp(), ${STALE_AFTER} FROM trunks WHERE id = $1
       ON CONFLICT (trunk_id, asterisk) DO UPDATE SET endpoint_state = EXCLUDED.endpoint_state,
         changed_at = ${changedWhen('endpoint_state')},
         asterisk_connected = true, checked_at = EXCLUDED.checked_at, stale_after = EXCLUDED.stale_after`,
      [trunkId, asterisk, staleAfterMs, endpointState],
    );
  }

  /** A contact's qualify status as a ContactStatusChange event gave it (the endpoint's state is left to its own events). */
  async recordContact(trunkId: string, asterisk: string, contact: { status: TrunkContactStatus; uri: string; roundtripUsec: number | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO trunk_states (trunk_id, asterisk, contact_status, contact_uri, roundtrip_usec, changed_at, asterisk_connected)
       SELECT id, $2, $3, $4, $5, clock_timestamp(), true FROM trunks WHERE id = $1
       ON CONFLICT (trunk_id, asterisk) DO UPDATE SET contact_status = EXCLUDED.contact_status, contact_uri = EXCLUDED.contact_uri,
         roundtrip_usec = EXCLUDED.roundtrip_usec,
         changed_at = ${changedWhen('contact_status')},
         asterisk_connected = true`,
      [trunkId, asterisk, contact.status, contact.uri, contact.roundtripUsec],
    );
  }

  /** The dialer lost its connection to this Asterisk: what the rows say is no longer being watched. */
  async recordDisconnected(asterisk: string, trunkIds: string[]): Promise<void> {
    if (trunkIds.length === 0) return;
    await this.db.query(`UPDATE trunk_states SET asterisk_connected = false WHERE asterisk = $1 AND trunk_id = ANY($2::text[])`, [asterisk, trunkIds]);
  }

  /** A trunk is no longer carried by Asterisks other than these: their rows go. */
  async keepOnly(trunkId: string, asterisks: string[]): Promise<void> {
    await this.db.query(`DELETE FROM trunk_states WHERE trunk_id = $1 AND NOT (asterisk = ANY($2::text[]))`, [trunkId, asterisks]);
  }

  /** The rows of these trunks, by trunk id, one per Asterisk in name order (a trunk no dialer has reported on yet has none). */
  async ofTrunks(trunkIds: string[]): Promise<Map<string, TrunkState[]>> {
    const byTrunk = new Map<string, TrunkState[]>();
    if (trunkIds.length === 0) return byTrunk;
    const rows = (await this.db.query(`SELECT * FROM trunk_states WHERE trunk_id = ANY($1::text[]) ORDER BY trunk_id, asterisk`, [trunkIds])) as Row[];
    for (const r of rows) {
      const list = byTrunk.get(r.trunk_id) ?? [];
      list.push(stateOf(r));
      byTrunk.set(r.trunk_id, list);
    }
    return byTrunk;
  }
}

function stateOf(r: Row): TrunkState {
  return {
    trunkId: r.trunk_id,
    asterisk: r.asterisk,
    provisioning: r.provisioning,
    provisioningError: r.provisioning_error,
    provisionedVersion: r.provisioned_version,
    provisionedAt: r.provisioned_at,
    endpointState: r.endpoint_state,
    contactStatus: r.contact_status,
    contactUri: r.contact_uri,
    roundtripUsec: r.roundtrip_usec === null ? null : Number(r.roundtrip_usec),
    changedAt: r.changed_at,
    asteriskConnected: r.asterisk_connected,
    checkedAt: r.checked_at,
    staleAfter: r.stale_after,
  };
}
