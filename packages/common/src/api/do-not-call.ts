import { z } from 'zod';
import { E164, Text, Timestamp } from './primitives';

/** A number the account must never call: every campaign and every single `POST /v1/calls` honours the list. */
export const DoNotCallEntry = z.object({
  object: z.literal('do_not_call_entry'),
  number: z.string(),
  reason: z.string().nullable(),
  created_at: Timestamp,
});
export type DoNotCallEntry = z.infer<typeof DoNotCallEntry>;

export const DoNotCallCreate = z.strictObject({
  number: E164,
  reason: Text.max(500).nullable().default(null).describe('why, for your records (e.g. "asked on call 5d1c...")'),
});
export type DoNotCallCreate = z.infer<typeof DoNotCallCreate>;

/** What a CSV import of numbers did: rows added, rows already listed, and each refused row with its line and reason. */
export const DoNotCallImport = z.object({
  object: z.literal('do_not_call_import'),
  added: z.number().int(),
  already_listed: z.number().int(),
  rejected: z.array(z.object({ line: z.number().int(), value: z.string(), reason: z.string() })),
});
export type DoNotCallImport = z.infer<typeof DoNotCallImport>;

/** The most rejected rows an import lists (the count of all of them is `rows - added - already_listed`). */
export const DO_NOT_CALL_IMPORT_MAX_REJECTED = 1000;
