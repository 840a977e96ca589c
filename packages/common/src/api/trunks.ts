import { z } from 'zod';
import { AUDIO_CODECS, TRUNK_TRANSPORTS } from '../enums';
import { Text, Timestamp } from './primitives';

const Hostname = Text
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$/, 'must be a hostname or IP address');

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
  calls_per_second: z.number().positive().max(1000).default(5),
  register: z.boolean().default(false).describe('send a SIP REGISTER to the carrier with username/password'),
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
    calls_per_second: z.number().positive().max(1000),
    register: z.boolean(),
  })
  .partial();
export type TrunkUpdate = z.infer<typeof TrunkUpdate>;

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
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Trunk = z.infer<typeof Trunk>;
