/** How deep a JSON object of a request (context, metadata, returns, tool parameters) may nest; the object itself is level 1. */
export const JSON_MAX_DEPTH = 32;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres could not store this string, or null when it can. */
export function textStorageProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain a lone UTF-16 surrogate';
  return null;
}

export interface JsonStorageProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The first place where a parsed JSON value nests deeper than JSON_MAX_DEPTH or holds a key or string Postgres cannot
 * store. Walks with an explicit stack: recursion is what overflows on a deeply nested body.
 */
export function jsonStorageProblem(root: unknown): JsonStorageProblem | null {
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value: root, path: [], depth: 1 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textStorageProblem(value);
      if (problem) return { path, message: problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > JSON_MAX_DEPTH) return { path, message: `must not nest more than ${JSON_MAX_DEPTH} levels deep` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i], depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(value);
    for (const [key] of entries) {
      const problem = textStorageProblem(key);
      if (problem) return { path, message: `a key ${problem}` };
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: [...path, entries[i]![0]], depth: depth + 1 });
  }
  return null;
}
