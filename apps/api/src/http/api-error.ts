import { ErrorCodes } from '@parley/common';

/** Thrown anywhere in the api; the exception filter renders `{"error": {"type", "code", "message", "param"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static notFound(resource: string, id: string, param: string | null = null): ApiError {
    return new ApiError(404, ErrorCodes.notFound, `No such ${resource}: '${id}'`, param);
  }

  static invalid(message: string, param: string | null, code: string = ErrorCodes.parameterInvalid): ApiError {
    return new ApiError(400, code, message, param);
  }

  static conflict(code: string, message: string, param: string | null = null): ApiError {
    return new ApiError(409, code, message, param);
  }
}
