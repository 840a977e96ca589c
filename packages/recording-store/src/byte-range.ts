import type { ByteRange } from './recording-store';

/**
 * The one range an HTTP `Range` header asks of `size` bytes (RFC 9110 14.1.2): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * null: no usable header, send everything (also for several ranges, which a player never asks for);
 * 'unsatisfiable': a well-formed range past the end (416).
 */
export function byteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
