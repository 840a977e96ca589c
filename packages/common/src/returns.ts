/**
 * `returns` is either JSON Schema (an object with `type: "object"` and `properties`) or the short form
 * `{"confirmed": "boolean", "reschedule_to": "string"}`. Both normalise to JSON Schema where every field is
 * nullable (a field the conversation did not settle is null, never invented) and required.
 */
export type JsonSchema = { [key: string]: unknown };

const SHORT_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'date', 'datetime', 'time', 'email', 'phone']);

export class ReturnsSchemaError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

export function isFullJsonSchema(returns: Record<string, unknown>): boolean {
  return returns.type === 'object' && typeof returns.properties === 'object' && returns.properties !== null;
}

function shortFieldToSchema(value: unknown, path: string): JsonSchema {
  if (typeof value === 'string') {
    const optional = value.endsWith('?');
    const name = optional ? value.slice(0, -1) : value;
    const enumMatch = /^enum\((.+)\)$/.exec(name);
    if (enumMatch) {
      const values = enumMatch[1]!.split('|').map((v) => v.trim()).filter(Boolean);
      return { type: ['string', 'null'], enum: [...values, null] };
    }
    if (!SHORT_TYPES.has(name)) {
      throw new ReturnsSchemaError(`unknown type "${value}" at ${path}; use one of ${[...SHORT_TYPES].join(', ')}, enum(a|b), or full JSON Schema`, path);
    }
    switch (name) {
      case 'date':
        return { type: ['string', 'null'], format: 'date' };
      case 'datetime':
        return { type: ['string', 'null'], format: 'date-time' };
      case 'time':
        return { type: ['string', 'null'], description: 'time of day' };
      case 'email':
        return { type: ['string', 'null'], format: 'email' };
      case 'phone':
        return { type: ['string', 'null'], description: 'phone number in E.164' };
      case 'object':
        return { type: ['object', 'null'] };
      case 'array':
        return { type: ['array', 'null'] };
      default:
        return { type: [name, 'null'] };
    }
  }
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new ReturnsSchemaError(`array short form at ${path} takes exactly one item type, e.g. ["string"]`, path);
    return { type: ['array', 'null'], items: stripNull(shortFieldToSchema(value[0], `${path}[]`)) };
  }
  if (value && typeof value === 'object') {
    return { ...shortObjectToSchema(value as Record<string, unknown>, path), type: ['object', 'null'] };
  }
  throw new ReturnsSchemaError(`invalid type at ${path}: expected a type name such as "string"`, path);
}

function stripNull(schema: JsonSchema): JsonSchema {
  const type = schema.type;
  if (Array.isArray(type)) {
    const t = type.filter((x) => x !== 'null');
    return { ...schema, type: t.length === 1 ? t[0] : t, ...(schema.enum ? { enum: (schema.enum as unknown[]).filter((v) => v !== null) } : {}) };
  }
  return schema;
}

function shortObjectToSchema(fields: Record<string, unknown>, path: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key)) throw new ReturnsSchemaError(`field name "${key}" at ${path} must be an identifier`, path);
    properties[key] = shortFieldToSchema(value, path ? `${path}.${key}` : key);
  }
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

/** Normalises `returns` to JSON Schema; throws ReturnsSchemaError on a malformed short form. Null/empty -> null. */
export function normalizeReturns(returns: Record<string, unknown> | null | undefined): JsonSchema | null {
  if (!returns || Object.keys(returns).length === 0) return null;
  if (isFullJsonSchema(returns)) return returns;
  if ('type' in returns && typeof returns.type === 'string' && returns.type !== 'object' && SHORT_TYPES.has(returns.type) === false) {
    throw new ReturnsSchemaError('returns must be an object schema ({"type": "object", "properties": ...}) or the short form', 'returns');
  }
  return shortObjectToSchema(returns, '');
}
