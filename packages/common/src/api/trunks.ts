import { z } from 'zod';
import { AUDIO_CODECS, TRUNK_TRANSPORTS } from '../enums';
import { Text, Timestamp } from './primitives';

const Hostname = Text
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$/, 'must be a hostname or IP address');

/** Stored as a Postgres `real`; below one call every 100 s is no rate a carrier sets (and would underflow it). */
const CallsPerSecond = z.number().min(0.01).max(1000).describe('new calls started per second on this trunk, 0.01 to 1000');

/** An Asterisk's name in the registry (`pnpm parley asterisks add --name`). */
export const AsteriskName = Text.min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _');

const TrunkAsterisks = z
  .array(AsteriskName)
  .max(64)
  .refine((names) => new Set(names).size === names.length, 'names an Asterisk twice')
  .describe('names of the registered Asterisks that may carry the trunk\'s calls (see `pnpm parley asterisks list`; `default` is the one ARI_URL names); empty: every registered Asterisk');

const trunkFields = {
  name: Text.trim().min(1).max(64).refine((n) => n.toLowerCase() !== 'sandbox', 'the name "sandbox" is reserved for the built-in trunk'),
  host: Hostname,
  port: z.number().int().min(1).max(65535).default(5060),
  transport: z.enum(TRUNK_TRANSPORTS).default('udp'),
  username: Text.min(1).max(128).nullable().default(null),
  password: Text.min(1).max(256).nullable().default(null).describe('write-only; stored encrypted'),
  from_domain: Hostname.nullable().default(null),
  codecs: z.array(z.enum(AUDIO_CODECS)).min(1).default(['g722', 'ulaw', 'alaw']),
  max_concurrent_calls: z.number().int().min(1).max(10_000).default(10),
  calls_per_second: CallsPerSecond.default(5),
  register: z.boolean().default(false).describe('send a SIP REGISTER to the carrier with username/password'),
  asterisks: TrunkAsterisks.default([]),
};

export const TrunkCreate = z.strictObject(trunkFields);
export type TrunkCreate = z.infer<typeof TrunkCreate>;

export const TrunkUpdate = z
  .strictObject({
    name: trunkFields.name,
    host: trunkFields.host,
    port: z.number().int().min(1).max(65535),
    transport: z.enum(TRUNK_TRANSPORTS),
    username: trunkFields.username.unwrap(),
    password: Text.min(1).max(256).nullable(),
    from_domain: Hostname.nullable(),
    codecs: z.array(z.enum(AUDIO_CODECS)).min(1),
    max_concurrent_calls: z.number().int().min(1).max(10_000),
    calls_per_second: CallsPerSecond,
    register: z.boolean(),
    asterisks: TrunkAsterisks,
  })
  .partial();
export type TrunkUpdate = z.infer<typeof TrunkUpdate>;

export const TRUNK_PROVISIONING = ['built_in', 'pending', 'pushed', 'failed', 'no_asterisk'] as const;
export const TRUNK_REACHABILITY = ['reachable', 'unreachable', 'unknown'] as const;

/** What the dialers know of a trunk on one Asterisk that carries it. */
export const TrunkAsteriskStatus = z
  .object({
    asterisk: z.string().describe('the Asterisk\'s name (`sandbox`: the simulator)'),
    provisioning: z.enum(TRUNK_PROVISIONING),
    provisioning_error: z.string().nullable(),
    reachability: z.enum(TRUNK_REACHABILITY),
    endpoint_state: z.enum(['online', 'offline', 'unknown', 'missing']).nullable(),
    asterisk_connected: z.boolean().nullable(),
    checked_at: Timestamp.nullable(),
  })
  .describe('The trunk on one Asterisk, with the same meanings as the fields of `status`');
export type TrunkAsteriskStatus = z.infer<typeof TrunkAsteriskStatus>;

/** What the dialers know of a trunk as its Asterisks see it. */
export const TrunkStatus = z
  .object({
    provisioning: z
      .enum(TRUNK_PROVISIONING)
      .describe(
        'built_in: the sandbox trunk, served by the simulator; pending: this version of the trunk is not in Asterisk yet; pushed: Asterisk has it; failed: Asterisk refused it (see provisioning_error); no_asterisk: no Asterisk carries it (none registered with `pnpm parley asterisks add` nor set as a dialer\'s ARI_URL, or none of those the trunk names), so its calls cannot go out',
      ),
    provisioning_error: z.string().nullable().describe("Asterisk's words when it refused the trunk"),
    reachability: z
      .enum(TRUNK_REACHABILITY)
      .describe("reachable: Asterisk's SIP OPTIONS to the carrier are answered (endpoint online); unreachable: they time out or cannot be sent (endpoint offline after a qualify); unknown: not qualified yet (Asterisk's first OPTIONS comes within qualify_frequency, 60 s, of the push), or no dialer has been connected to the trunk's Asterisk lately"),
    endpoint_state: z.enum(['online', 'offline', 'unknown', 'missing']).nullable().describe("Asterisk's state of the trunk's PJSIP endpoint as last read; missing: Asterisk has no such endpoint (it is pushed again)"),
    contact_status: z.enum(['reachable', 'unreachable', 'unknown', 'nonqualified', 'removed']).nullable().describe("the carrier contact's qualify status from Asterisk's last ContactStatusChange"),
    roundtrip_ms: z.number().nullable().describe('SIP OPTIONS round trip measured when the contact last became reachable (Asterisk reports no later one)'),
    registration: z
      .enum(['off', 'not_reported'])
      .describe("off: the trunk does not register; not_reported: it registers, but Asterisk's ARI gives no outbound registration state (see `pjsip show registrations` on the Asterisk)"),
    asterisk_connected: z.boolean().nullable().describe("whether a dialer was connected to the trunk's Asterisk at the last check; null before the first"),
    changed_at: Timestamp.nullable().describe('when the endpoint state or contact status last changed'),
    checked_at: Timestamp.nullable().describe('when a dialer last read the endpoint from Asterisk'),
    asterisks: z
      .array(TrunkAsteriskStatus)
      .describe('the trunk on each Asterisk that carries it; the fields above sum them up: reachable if reachable on any, pushed only once pushed to all, the details of the best one'),
  })
  .describe("The trunk's state as the dialers see it through Asterisk's ARI");
export type TrunkStatus = z.infer<typeof TrunkStatus>;

export const Trunk = z.object({
  id: z.string(),
  object: z.literal('trunk'),
  name: z.string(),
  sandbox: z.boolean(),
  host: z.string(),
  port: z.number().int(),
  transport: z.enum(TRUNK_TRANSPORTS),
  username: z.string().nullable(),
  has_password: z.boolean(),
  from_domain: z.string().nullable(),
  codecs: z.array(z.enum(AUDIO_CODECS)),
  max_concurrent_calls: z.number().int(),
  calls_per_second: z.number(),
  register: z.boolean(),
  asterisks: z.array(z.string()).describe('the Asterisks that may carry the trunk\'s calls; empty: every registered one'),
  status: TrunkStatus,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Trunk = z.infer<typeof Trunk>;
