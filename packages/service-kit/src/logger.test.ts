import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, stream };
}

describe('createLogger redaction', () => {
  it('keeps webhook secrets, API keys, bearer tokens and query parameters out of log lines', () => {
    const { lines, stream } = capture();
    const log = createLogger('test', 'info', stream);
    const whsec = 'whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==';
    const apiKey = 'sk_live_abcdef0123456789';
    const token = 'tok-9f8e7d6c5b4a';
    const err = Object.assign(new Error(`duplicate key while saving ${whsec}`), {
      query: 'INSERT INTO webhook_endpoints VALUES ($1, $2)',
      parameters: ['plain-password-123', whsec],
    });
    log.error({ err, headers: { Authorization: `Bearer ${token}` } }, `request with key ${apiKey}`);
    log.info({ trunk: { password: 'plain-password-123' } }, `header was Authorization: Bearer ${token}`);
    const out = lines.join('');
    for (const secret of [whsec, apiKey, token, 'plain-password-123']) expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('INSERT INTO webhook_endpoints');
  });
});
