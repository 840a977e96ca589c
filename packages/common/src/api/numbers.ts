import { z } from 'zod';
import { E164, Text, Timestamp } from './primitives';

export const PhoneNumberCreate = z.strictObject({
  number: E164,
  trunk_id: Text.min(1),
  label: Text.max(128).nullable().default(null),
});
export type PhoneNumberCreate = z.infer<typeof PhoneNumberCreate>;

export const PhoneNumberUpdate = z.strictObject({ trunk_id: Text.min(1), label: Text.max(128).nullable() }).partial();
export type PhoneNumberUpdate = z.infer<typeof PhoneNumberUpdate>;

export const PhoneNumber = z.object({
  id: z.string(),
  object: z.literal('phone_number'),
  number: E164,
  trunk_id: z.string(),
  label: z.string().nullable(),
  agent_ids: z.array(z.string()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type PhoneNumber = z.infer<typeof PhoneNumber>;
