import { z } from 'zod';

export const Account = z.object({
  id: z.string(),
  object: z.literal('account'),
  name: z.string(),
  webhook_secret: z.string().describe('signs webhooks sent to per-call and agent webhook_url (Standard Webhooks, whsec_...)'),
  created_at: z.string(),
});
export type Account = z.infer<typeof Account>;
