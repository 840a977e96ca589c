/** A CSV body: its header's column names (trimmed, lower case) and each non-blank record with its line number. */
export interface CsvTable {
  columns: string[];
  records: Array<{ line: number; values: string[] }>;
}

/**
 * Parses an uploaded CSV: a header row, then one record per line; commas or semicolons (whichever the header has
 * more of); RFC 4180 quoting with doubled quotes (a line break inside quotes is not supported); a BOM is dropped.
 */
export function parseCsv(text: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0] ?? '';
  const separator = (header.match(/;/g) ?? []).length > (header.match(/,/g) ?? []).length ? ';' : ',';
  const columns = fields(header, separator).map((c) => c.trim().toLowerCase());
  const records: CsvTable['records'] = [];
  for (let i = 1; i < lines.length; i++) if (lines[i]!.trim()) records.push({ line: i + 1, values: fields(lines[i]!, separator) });
  return { columns, records };
}

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

/** The column holding phone numbers: the first of these names the header has, or -1. */
export function numberColumn(columns: string[], names = ['number', 'to', 'phone', 'phone_number']): number {
  for (const n of names) {
    const at = columns.indexOf(n);
    if (at >= 0) return at;
  }
  return -1;
}

/** A phone number as people write it (spaces, dashes, dots, brackets) in E.164 form, if that is what it is. */
export function cleanNumber(given: string): string {
  return given.trim().replace(/[\s\-.()]/g, '');
}
