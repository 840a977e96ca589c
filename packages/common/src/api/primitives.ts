import { z } from 'zod';
import { jsonStorageProblem, JSON_MAX_DEPTH, textStorageProblem } from './storable';


/**
 * A string of a request that Postgres can store: no NUL (text refuses it) and no lone UTF-16 surrogate (jsonb refuses
 * it, text would silently turn it into U+FFFD). Every string field of a request is built on it.
 */
export const Text = z.string().refine((s) => textStorageProblem(s) === null, { error: (issue) => textStorageProblem(issue.input as string) ?? 'invalid', abort: true });

/**
 * A JSON object of a request stored as jsonb: at most JSON_MAX_DEPTH levels deep, and no key or string Postgres cannot
 * store. Checked without recursion before any other check of the value, so a 10,000-level body is a 400.
 */
export function storedJsonObject(description?: string) {
  const limits = `at most ${JSON_MAX_DEPTH} levels deep; no NUL characters or lone UTF-16 surrogates in keys or strings`;
  return z
    .record(z.string(), z.unknown())
    .check(
      z.superRefine((value, ctx) => {
        const problem = jsonStorageProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, input: value, continue: false });
      }),
    )
    .meta({ description: description ? `${description} (${limits})` : limits, 'x-max-depth': JSON_MAX_DEPTH });
}

export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +14155550123');
export const Timestamp = z.string().describe('ISO 8601 timestamp');
/** A JSON object in a response (requests use storedJsonObject). */
export const JsonObject = z.record(z.string(), z.unknown());
export const HttpUrl = Text
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http or https URL');

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: Text.min(1).optional(),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });
}
