import { z } from 'zod';
import { Text, Timestamp } from './primitives';
import { AsteriskName } from './trunks';

const AriUrl = Text.max(2048)
  .refine((u) => {
    try {
      return ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, 'must be the http:// or https:// URL of Asterisk\'s ARI (e.g. http://10.0.0.5:8088/ari)')
  .describe('Asterisk\'s ARI base URL, e.g. http://10.0.0.5:8088/ari');

const asteriskFields = {
  name: AsteriskName.refine((n) => n !== 'sandbox', "'sandbox' is the simulator's name"),
  ari_url: AriUrl,
  ari_username: Text.min(1).max(128),
  ari_password: Text.min(1).max(256).describe('write-only; stored encrypted'),
  capacity: z.number().int().min(1).max(1_000_000).describe('calls it carries at once; placement skips it when full'),
  site: Text.min(1).max(64).nullable().default(null).describe('where it runs (descriptive)'),
  labels: z.array(Text.min(1).max(64)).max(32).default([]).describe('descriptive labels'),
};

/** An Asterisk the dialers connect to over ARI (platform-wide: written with the admin token or `pnpm parley asterisks`). */
export const AsteriskCreate = z.strictObject(asteriskFields);
export type AsteriskCreate = z.infer<typeof AsteriskCreate>;

export const AsteriskUpdate = z
  .strictObject({
    ari_url: asteriskFields.ari_url,
    ari_username: asteriskFields.ari_username,
    ari_password: asteriskFields.ari_password,
    capacity: asteriskFields.capacity,
    site: Text.min(1).max(64).nullable(),
    labels: z.array(Text.min(1).max(64)).max(32),
  })
  .partial()
  .refine((u) => Object.keys(u).length > 0, 'give at least one field to change');
export type AsteriskUpdate = z.infer<typeof AsteriskUpdate>;

/** A registered Asterisk as the admin API shows it: never its password. */
export const Asterisk = z.object({
  object: z.literal('asterisk'),
  id: z.string(),
  name: z.string(),
  ari_url: z.string(),
  ari_username: z.string(),
  has_password: z.boolean(),
  site: z.string().nullable(),
  labels: z.array(z.string()),
  capacity: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Asterisk = z.infer<typeof Asterisk>;
