import { z } from 'zod';
import { LEDGER_ENTRY_TYPES } from '../enums';

export const Balance = z.object({
  object: z.literal('balance'),
  balance_milli_cents: z.number().int().nullable().describe('null = unlimited'),
  reserved_milli_cents: z.number().int(),
  rate_milli_cents_per_minute: z.number().int(),
  web_rate_milli_cents_per_minute: z.number().int().describe('web calls (the phone rate unless set apart)'),
  billing_increment_seconds: z.number().int(),
  billing_minimum_seconds: z.number().int(),
});
export type Balance = z.infer<typeof Balance>;

export const LedgerEntry = z.object({
  id: z.string(),
  object: z.literal('credit_ledger_entry'),
  type: z.enum(LEDGER_ENTRY_TYPES),
  amount_milli_cents: z.number().int(),
  balance_after_milli_cents: z.number().int(),
  call_id: z.string().nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;
