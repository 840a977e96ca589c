import { E164 } from '@parley/common';

export interface CsvNumberRow {
  line: number;
  number: string;
  reason: string | null;
}

export interface CsvNumbers {
  rows: CsvNumberRow[];
  rejected: Array<{ line: number; value: string; reason: string }>;
}

/**
 * Numbers from a CSV: a header row naming a `number` column (or `to`, or `phone`), an optional `reason` column;
 * commas or semicolons, quoted fields with doubled quotes. A number with spaces, dashes, dots or brackets is taken
 * without them; one that is still not E.164 is rejected with its line, as is a repeat within the file.
 */
export function csvNumbers(text: string): CsvNumbers {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0] ?? '';
  const separator = (header.match(/;/g) ?? []).length > (header.match(/,/g) ?? []).length ? ';' : ',';
  const columns = fields(header, separator).map((c) => c.trim().toLowerCase());
  const numberAt = columns.findIndex((c) => c === 'number' || c === 'to' || c === 'phone' || c === 'phone_number');
  if (numberAt < 0) throw new CsvHeaderError(`the header row must name a "number" column (found: ${columns.join(', ') || 'nothing'})`);
  const reasonAt = columns.indexOf('reason');
  const rows: CsvNumberRow[] = [];
  const rejected: CsvNumbers['rejected'] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.trim()) continue;
    const values = fields(raw, separator);
    const given = (values[numberAt] ?? '').trim();
    const number = given.replace(/[\s\-.()]/g, '');
    if (!E164.safeParse(number).success) {
      rejected.push({ line: i + 1, value: given, reason: 'not an E.164 phone number such as +14155550123' });
      continue;
    }
    if (seen.has(number)) {
      rejected.push({ line: i + 1, value: given, reason: 'the number is on an earlier line of the file' });
      continue;
    }
    seen.add(number);
    const reason = reasonAt >= 0 ? (values[reasonAt] ?? '').trim().slice(0, 500) || null : null;
    rows.push({ line: i + 1, number, reason });
  }
  return { rows, rejected };
}

export class CsvHeaderError extends Error {}

/** One CSV line's fields (RFC 4180 quoting; a line break inside quotes is not supported: one record per line). */
function fields(line: string, separator: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === separator) {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}
