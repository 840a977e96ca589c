import type { ConfigTuple } from '@parley/ari-client';
import { AriHttpError } from './errors';

/** Sorcery object types that res_pjsip accepts through `asterisk/config/dynamic`. */
const PJSIP_OBJECT_TYPES = new Set(['endpoint', 'aor', 'auth', 'registration', 'identify', 'contact', 'domain_alias', 'transport', 'outbound-publish']);

/** PJSIP objects pushed at runtime (`PUT /ari/asterisk/config/dynamic/res_pjsip/endpoint/<id>`), kept in memory. */
export class DynamicConfig {
  private readonly objects = new Map<string, ConfigTuple[]>();
  /** Told after every PUT and DELETE (endpoint states follow their AORs' contacts). */
  onChange: (objectType: string, id: string, deleted: boolean) => void = () => undefined;

  private key(configClass: string, objectType: string, id: string): string {
    this.check(configClass, objectType);
    return `${objectType}/${id}`;
  }

  private check(configClass: string, objectType: string): void {
    if (configClass !== 'res_pjsip') throw new AriHttpError(404, { message: `configClass '${configClass}' not found` });
    if (!PJSIP_OBJECT_TYPES.has(objectType)) throw new AriHttpError(404, { message: `objectType '${objectType}' not found` });
  }

  get(configClass: string, objectType: string, id: string): ConfigTuple[] {
    const found = this.objects.get(this.key(configClass, objectType, id));
    if (!found) throw new AriHttpError(404, { message: `Object '${id}' not found` });
    return found;
  }

  put(configClass: string, objectType: string, id: string, body: unknown): ConfigTuple[] {
    const key = this.key(configClass, objectType, id);
    const fields = (body as { fields?: unknown } | undefined)?.fields ?? [];
    if (!Array.isArray(fields) || !fields.every((f) => f && typeof f.attribute === 'string' && typeof f.value === 'string')) {
      throw new AriHttpError(400, { message: 'Bad request body: fields must be a list of {attribute, value}' });
    }
    // Like sorcery, an update merges into the existing object.
    const merged = new Map((this.objects.get(key) ?? []).map((t) => [t.attribute, t.value]));
    for (const f of fields as ConfigTuple[]) merged.set(f.attribute, f.value);
    const tuples = [...merged].map(([attribute, value]) => ({ attribute, value }));
    this.objects.set(key, tuples);
    this.onChange(objectType, id, false);
    return tuples;
  }

  delete(configClass: string, objectType: string, id: string): void {
    if (!this.objects.delete(this.key(configClass, objectType, id))) throw new AriHttpError(404, { message: `Object '${id}' not found` });
    this.onChange(objectType, id, true);
  }

  hasEndpoint(id: string): boolean {
    return this.objects.has(`endpoint/${id}`);
  }

  endpointIds(): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith('endpoint/')).map((k) => k.slice('endpoint/'.length));
  }

  /** An object's attribute, e.g. an aor's `contact`. */
  attribute(objectType: string, id: string, attribute: string): string | undefined {
    return this.objects.get(`${objectType}/${id}`)?.find((t) => t.attribute === attribute)?.value;
  }

  /** An endpoint's attribute, e.g. its `context`. */
  endpointAttribute(id: string, attribute: string): string | undefined {
    return this.objects.get(`endpoint/${id}`)?.find((t) => t.attribute === attribute)?.value;
  }
}
