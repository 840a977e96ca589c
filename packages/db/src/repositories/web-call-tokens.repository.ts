import type { ConversationSnapshot } from '@parley/common';
import { returnedRows } from '../rows';
import { DbRepository } from './db-repository';

/** What redeeming a web call's token found. */
export type TokenRedemption =
  | { ok: true; callId: string; accountId: string; conversation: ConversationSnapshot; maxDurationSeconds: number }
  | { ok: false; reason: 'invalid' | 'expired' | 'used' };

/** Web calls' single-use access tokens, kept as their SHA-256 with the snapshot the browser's media session needs. */
export class WebCallTokensRepository extends DbRepository {
  async create(t: { callId: string; accountId: string; tokenHash: string; expiresAt: Date; conversation: ConversationSnapshot; maxDurationSeconds: number }): Promise<void> {
    await this.db.query(
      `INSERT INTO web_call_tokens (call_id, account_id, token_hash, expires_at, conversation, max_duration_seconds) VALUES ($1, $2, $3, $4, $5, $6)`,
      [t.callId, t.accountId, t.tokenHash, t.expiresAt, JSON.stringify(t.conversation), t.maxDurationSeconds],
    );
  }

  /** The call a token was issued for, used or not (a page hanging up its own call). */
  async callOf(tokenHash: string): Promise<{ callId: string; accountId: string } | null> {
    const [row] = (await this.db.query(`SELECT call_id, account_id FROM web_call_tokens WHERE token_hash = $1`, [tokenHash])) as Array<{ call_id: string; account_id: string }>;
    return row ? { callId: row.call_id, accountId: row.account_id } : null;
  }

  /** Whether the call's token was used: from then on a media process holds the call, or is answering its offer. */
  async isUsed(callId: string): Promise<boolean> {
    const [row] = (await this.db.query(`SELECT used_at IS NOT NULL AS used FROM web_call_tokens WHERE call_id = $1`, [callId])) as Array<{ used: boolean }>;
    return row?.used ?? false;
  }

  /** Uses the token, once, before it expires (one statement: two connects with the same token cannot both win). */
  async redeem(tokenHash: string): Promise<TokenRedemption> {
    const used = returnedRows<{ call_id: string; account_id: string; conversation: ConversationSnapshot; max_duration_seconds: number }>(await this.db.query(
      `UPDATE web_call_tokens SET used_at = clock_timestamp() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > clock_timestamp()
       RETURNING call_id, account_id, conversation, max_duration_seconds`,
      [tokenHash],
    ));
    const row = used[0];
    if (row) return { ok: true, callId: row.call_id, accountId: row.account_id, conversation: row.conversation, maxDurationSeconds: row.max_duration_seconds };
    const [found] = (await this.db.query(`SELECT used_at FROM web_call_tokens WHERE token_hash = $1`, [tokenHash])) as Array<{ used_at: Date | null }>;
    return { ok: false, reason: !found ? 'invalid' : found.used_at ? 'used' : 'expired' };
  }

  /** The media process that answered the call's offer, and its start (its adverts' `started_at`). */
  async recordHolder(callId: string, mediaId: string, mediaStartedAt: string | undefined): Promise<void> {
    await this.db.query(`UPDATE web_call_tokens SET media_id = $2, media_started_at = $3 WHERE call_id = $1`, [callId, mediaId, mediaStartedAt ?? null]);
  }

  /** Connected web calls whose media process is known, oldest first. */
  async connectedHolders(limit: number): Promise<WebCallHolder[]> {
    const rows = (await this.db.query(
      `SELECT t.call_id, t.account_id, t.media_id, t.media_started_at
         FROM calls c JOIN web_call_tokens t ON t.call_id = c.id
        WHERE c.status = 'in_progress' AND c.channel = 'web' AND t.media_id IS NOT NULL
        ORDER BY c.answered_at LIMIT $1`,
      [limit],
    )) as Array<{ call_id: string; account_id: string; media_id: string; media_started_at: string | null }>;
    return rows.map((r) => ({ callId: r.call_id, accountId: r.account_id, holder: r.media_id, holderStartedAt: r.media_started_at ?? undefined }));
  }
}

/** A connected web call and the media process holding it. */
export interface WebCallHolder {
  callId: string;
  accountId: string;
  holder: string;
  holderStartedAt: string | undefined;
}
