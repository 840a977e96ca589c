import { ErrorCodes } from '@parley/common';
import { ApiError } from './api-error';

/** A list upload's body: the text, or the request's stream as the text/csv and NDJSON parsers pass it on. */
export type UploadBody = string | AsyncIterable<Buffer | string>;

/** Whether a route's body is an upload (text, or a stream from the text/csv and NDJSON parsers). */
export function isUploadBody(body: unknown): body is UploadBody {
  return typeof body === 'string' || (typeof body === 'object' && body !== null && Symbol.asyncIterator in body);
}

/** How much of a streamed list upload (CSV, NDJSON) is read at most; it is never held whole. */
export const LIST_UPLOAD_LIMIT_BYTES = 128 * 1024 * 1024;

/**
 * The lines of an upload with their 1-based numbers, without their ends (LF or CRLF), a BOM dropped, read as they
 * arrive: only the line being read is held. Past `limitBytes` it is a 413.
 */
export async function* textLines(body: UploadBody, limitBytes = LIST_UPLOAD_LIMIT_BYTES): AsyncGenerator<{ line: number; text: string }> {
  const chunks: Iterable<Buffer | string> | AsyncIterable<Buffer | string> = typeof body === 'string' ? [body] : body;
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  let rest = '';
  let line = 0;
  for await (const chunk of chunks) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > limitBytes) throw new ApiError(413, ErrorCodes.bodyTooLarge, `The upload is larger than ${limitBytes / 1024 / 1024} MB; split it`, 'body');
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = rest.indexOf('\n')) >= 0) {
      const text = rest.slice(0, end);
      rest = rest.slice(end + 1);
      line++;
      yield { line, text: clean(text, line) };
    }
  }
  rest += decoder.decode();
  if (rest) yield { line: line + 1, text: clean(rest, line + 1) };
}

const clean = (text: string, line: number) => (line === 1 ? text.replace(/^\uFEFF/, '') : text).replace(/\r$/, '');

/** A CSV upload: its header's column names (trimmed, lower case), then each non-blank record with its line number. */
export interface CsvReader {
  columns: string[];
  records: AsyncIterable<{ line: number; values: string[] }>;
}

/**
 * Reads an uploaded CSV as it arrives: a header row, then one record per line; commas or semicolons (whichever the
 * header has more of); RFC 4180 quoting with doubled quotes (a line break inside quotes is not supported).
 */
export async function readCsv(body: UploadBody): Promise<CsvReader> {
  const lines = textLines(body);
  const first = await lines.next();
  const header = first.done ? '' : first.value.text;
  const separator = (header.match(/;/g) ?? []).length > (header.match(/,/g) ?? []).length ? ';' : ',';
  const columns = fields(header, separator).map((c) => c.trim().toLowerCase());
  async function* records() {
    for await (const { line, text } of lines) if (text.trim()) yield { line, values: fields(text, separator) };
  }
  return { columns, records: records() };
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
