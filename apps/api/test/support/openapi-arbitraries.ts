import fc from 'fast-check';

/** The subset of JSON Schema that the OpenAPI document's zod-generated schemas use. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
}

/** Values that make a generated request reach deeper than validation (ids of objects that exist), by field name. */
export type KnownValues = Record<string, fc.Arbitrary<unknown>>;

const json = fc.jsonValue({ maxDepth: 3 });

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 40, Math.max(minLength, 40));
  return fc.string({ minLength, maxLength });
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 1e-6) : -1e6);
  const max = schema.maximum ?? 1e6;
  return integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** A value that the schema accepts (mostly: refinements such as "an http URL" are not in the schema). */
export function validValue(schema: JsonSchema, known: KnownValues = {}, name = ''): fc.Arbitrary<unknown> {
  if (name && known[name]) return known[name]!;
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validValue(s, known, name)));
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((s) => validValue(s, known, name)));
  switch (schema.type) {
    case 'string':
      return /url/.test(name) ? fc.webUrl({ validSchemes: ['https', 'http'] }) : stringOf(schema);
    case 'integer':
      return numberOf(schema, true);
    case 'number':
      return numberOf(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue(schema.items ?? {}, known), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      if (!schema.properties) {
        const values = typeof schema.additionalProperties === 'object' && schema.additionalProperties.type ? validValue(schema.additionalProperties) : json;
        return fc.dictionary(fc.string({ maxLength: 10 }), values, { maxKeys: 4 });
      }
      const required = new Set(schema.required ?? []);
      const fields = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, validValue(s, known, k)]));
      return fc.record(fields, { requiredKeys: Object.keys(fields).filter((k) => required.has(k)) });
    }
    default:
      return json;
  }
}

function nested(levels: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Something a field should not hold: wrong types, null, huge or unstorable strings, deep nesting, arrays for objects. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', 'x\uDC00', '\uDFFF\uD800', '', ' ', '-1', '1e309', 'null', '__proto__'),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 30, max: 3_000 }).map(nested),
  fc.array(json, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 3 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 63, -0, 1e308),
);

type Mutation = (value: unknown) => unknown;

/** The places in a value (the value itself included) as paths of keys, down to a depth past every schema's own. */
function placesIn(root: unknown): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  // A stack, not recursion: an earlier mutation may have nested the value thousands of levels deep.
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    out.push(path);
    if (path.length >= 40 || !value || typeof value !== 'object') continue;
    for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...path, Array.isArray(value) ? Number(k) : k] });
  }
  return out;
}

function replaceAt(value: unknown, path: Array<string | number>, replacement: (old: unknown) => unknown): unknown {
  if (!path.length) return replacement(value);
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}

/** One change somewhere in a valid value: a hostile value, an unknown field, or an object wrapped in an array. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: hostileValue.map((h): Mutation => () => h) },
    // A string that stays valid in every other way but holds what Postgres cannot store.
    { weight: 2, arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDC00').map((bad): Mutation => (old) => (typeof old === 'string' && old ? old.slice(0, -1) + bad : bad)) },
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), json).map(([k, v]): Mutation => (old) => (old && typeof old === 'object' && !Array.isArray(old) ? { ...old, [k]: v } : v)),
    fc.constant<Mutation>((old) => [old]),
    fc.constant<Mutation>(() => undefined),
  );
  return fc.tuple(valid, fc.nat(), mutation).map(([value, pick, change]) => {
    const places = placesIn(value);
    return replaceAt(value, places[pick % places.length]!, change);
  });
}
