/** A request's parameters: its query string and (for POSTs with a JSON body) its body's fields. */
export type Params = Record<string, unknown>;

export function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

/** `"Name" <number>`, `Name <number>` or a bare number. */
export function parseCallerId(raw: string): { name: string; number: string } {
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(raw);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: m[3]!.trim() };
  return { name: '', number: raw.trim() };
}

/** `PJSIP/+15551234567@trunk` -> tech, number, endpoint. */
export function parseDialEndpoint(endpoint: string): { tech: string; number: string; endpoint: string } {
  const slash = endpoint.indexOf('/');
  const tech = slash < 0 ? endpoint : endpoint.slice(0, slash);
  const resource = slash < 0 ? '' : endpoint.slice(slash + 1);
  const at = resource.lastIndexOf('@');
  return at < 0 ? { tech, number: '', endpoint: resource } : { tech, number: resource.slice(0, at), endpoint: resource.slice(at + 1) };
}
