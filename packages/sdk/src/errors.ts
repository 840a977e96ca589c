/** An error the API answered with (`{"error": {type, code, message, param}}`), or one on the way to it. */
export class ParleyError extends Error {
  constructor(
    message: string,
    /** The HTTP status; null when the API was not reached. */
    readonly status: number | null,
    /** The error's type: invalid_request_error, authentication_error, rate_limit_error, api_error... */
    readonly type: string,
    /** The API's code: parameter_invalid, not_found, insufficient_credit, call_already_ended... */
    readonly code: string,
    /** The parameter at fault, if one is. */
    readonly param: string | null = null,
    readonly headers: Headers | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ParleyError {}
export class AuthenticationError extends ParleyError {}
export class InsufficientCreditError extends ParleyError {}
export class PermissionDeniedError extends ParleyError {}
export class NotFoundError extends ParleyError {}
export class ConflictError extends ParleyError {}
export class UnprocessableEntityError extends ParleyError {}
export class RateLimitError extends ParleyError {}
export class InternalServerError extends ParleyError {}
/** The API could not be reached (network, DNS, refused connection). */
export class APIConnectionError extends ParleyError {}
/** No answer within the client's timeout. */
export class APITimeoutError extends APIConnectionError {}

const BY_STATUS: Record<number, typeof ParleyError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: InsufficientCreditError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** The error for an API answer that is not a success. */
export function errorFor(status: number, body: unknown, headers: Headers): ParleyError {
  const e = (body as { error?: { type?: string; code?: string; message?: string; param?: string | null } } | null)?.error;
  const Kind = BY_STATUS[status] ?? (status >= 500 ? InternalServerError : ParleyError);
  return new Kind(e?.message ?? `The API answered ${status}`, status, e?.type ?? 'api_error', e?.code ?? `http_${status}`, e?.param ?? null, headers);
}
