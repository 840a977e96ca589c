/** An ARI error answer, worded as Asterisk words it: `{"message": ...}` or `{"error": ...}`. */
export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message: string } | { error: string },
  ) {
    super('message' in body ? body.message : body.error);
  }
}
