/**
 * A non-2xx answer from ARI. Asterisk words its errors as `{"message": ...}` (404, 400, 409...)
 * or `{"error": ...}` (500 "Allocation failed" when the endpoint or trunk does not exist).
 */
export class AriError extends Error {
  override readonly name = 'AriError';

  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** Asterisk's own wording, e.g. "Channel not found". */
    readonly asteriskMessage: string,
    readonly body: unknown = undefined,
  ) {
    super(`ARI ${method} ${path} failed with ${status}: ${asteriskMessage}`);
  }

  /** True for 404: the channel, bridge, playback or recording is gone (often: already hung up). */
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** Extracts Asterisk's message from an error body, falling back to the HTTP status text. */
export function asteriskMessageOf(body: unknown, statusText: string): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error === 'string') return b.error;
  }
  if (typeof body === 'string' && body.length > 0) return body;
  return statusText;
}
