import { Injectable } from '@nestjs/common';
import { DO_NOT_CALL_IMPORT_MAX_REJECTED, type DoNotCallCreate, type DoNotCallEntry, type DoNotCallImport, E164, ErrorCodes } from '@parley/common';
import { type DoNotCallEntity, DoNotCallRepository } from '@parley/db';
import { CallContexts } from '../calls/call-context';
import { ApiError } from '../http/api-error';
import { cursorAfter } from '../http/pagination';
import { CsvHeaderError, csvNumbers } from './csv-numbers';
import { isUploadBody } from '../http/csv';

const IMPORT_BATCH = 5000;

export function doNotCallView(e: DoNotCallEntity): DoNotCallEntry {
  return { object: 'do_not_call_entry', number: e.number, reason: e.reason, created_at: e.createdAt.toISOString() };
}

/** The account's do-not-call list, and the check every outbound call passes. */
@Injectable()
export class DoNotCallService {
  constructor(
    private readonly entries: DoNotCallRepository,
    private readonly contexts: CallContexts,
  ) {}

  /** Lists the number (again: the first listing's reason and date stay); `created` is false if it was listed. */
  async add(accountId: string, input: DoNotCallCreate): Promise<{ entry: DoNotCallEntity; created: boolean }> {
    const created = await this.entries.add(accountId, input.number, input.reason);
    // As after an agent change: the NOTIFY does it for every api, this one at once.
    this.contexts.forget(accountId);
    return { entry: (await this.entries.get(accountId, input.number))!, created };
  }

  async get(accountId: string, number: string): Promise<DoNotCallEntity> {
    const entry = E164.safeParse(number).success ? await this.entries.get(accountId, number) : null;
    if (!entry) throw ApiError.notFound('number on the do-not-call list', number, 'number');
    return entry;
  }

  async remove(accountId: string, number: string): Promise<void> {
    if (!E164.safeParse(number).success || !(await this.entries.remove(accountId, number))) throw ApiError.notFound('number on the do-not-call list', number, 'number');
    this.contexts.forget(accountId);
  }

  async list(accountId: string, page: { limit: number; starting_after?: string }) {
    const after = await cursorAfter(page.starting_after, (n) => this.entries.cursor(accountId, n));
    return this.entries.list(accountId, { limit: page.limit, after });
  }

  /** Adds every valid number of a CSV; rejected rows are listed with their line and reason, and do not stop the rest. */
  async import(accountId: string, csv: unknown): Promise<DoNotCallImport> {
    if (!isUploadBody(csv)) throw ApiError.invalid('Send the numbers as text/csv', null);
    let parsed;
    try {
      parsed = await csvNumbers(csv);
    } catch (err) {
      if (err instanceof CsvHeaderError) throw ApiError.invalid(`CSV: ${err.message}`, null);
      throw err;
    }
    let added = 0;
    for (let i = 0; i < parsed.rows.length; i += IMPORT_BATCH) added += await this.entries.addMany(accountId, parsed.rows.slice(i, i + IMPORT_BATCH));
    this.contexts.forget(accountId);
    return { object: 'do_not_call_import', added, already_listed: parsed.rows.length - added, rejected: parsed.rejected.slice(0, DO_NOT_CALL_IMPORT_MAX_REJECTED) };
  }

  /** Refuses a call to a listed number (403, nothing written). */
  async assertCallable(accountId: string, to: string): Promise<void> {
    if (await this.entries.listed(accountId, to)) throw new ApiError(403, ErrorCodes.doNotCall, `${to} is on this account's do-not-call list (DELETE /v1/do_not_call/${to} to call it again)`, 'to');
  }
}
