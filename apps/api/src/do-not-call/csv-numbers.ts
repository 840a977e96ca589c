import { E164 } from '@parley/common';
import { cleanNumber, numberColumn, readCsv, type UploadBody } from '../http/csv';

export interface CsvNumberRow {
  line: number;
  number: string;
  reason: string | null;
}

export interface CsvNumbers {
  rows: CsvNumberRow[];
  rejected: Array<{ line: number; value: string; reason: string }>;
}

export class CsvHeaderError extends Error {}

/**
 * Numbers from a CSV: a header row naming a `number` column (or `to`, `phone`, `phone_number`), an optional `reason`
 * column. A number with spaces, dashes, dots or brackets is taken without them; one that is still not E.164 is
 * rejected with its line, as is a repeat within the file.
 */
export async function csvNumbers(body: UploadBody): Promise<CsvNumbers> {
  const { columns, records } = await readCsv(body);
  const numberAt = numberColumn(columns);
  if (numberAt < 0) throw new CsvHeaderError(`the header row must name a "number" column (found: ${columns.join(', ') || 'nothing'})`);
  const reasonAt = columns.indexOf('reason');
  const rows: CsvNumberRow[] = [];
  const rejected: CsvNumbers['rejected'] = [];
  const seen = new Set<string>();
  for await (const { line, values } of records) {
    const given = (values[numberAt] ?? '').trim();
    const number = cleanNumber(given);
    if (!E164.safeParse(number).success) rejected.push({ line, value: given, reason: 'not an E.164 phone number such as +14155550123' });
    else if (seen.has(number)) rejected.push({ line, value: given, reason: 'the number is on an earlier line of the file' });
    else {
      seen.add(number);
      rows.push({ line, number, reason: reasonAt >= 0 ? (values[reasonAt] ?? '').trim().slice(0, 500) || null : null });
    }
  }
  return { rows, rejected };
}
