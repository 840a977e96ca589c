/** Asterisk writes `2026-11-23T19:32:45.368+0000`; the contract wants ISO 8601 (`...Z`). */
export function ariTimestampToIso(timestamp: string | undefined): string {
  if (!timestamp) return new Date().toISOString();
  const date = new Date(timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
