import type { z } from 'zod';
import { ErrorCodes } from '@parley/common';
import { ApiError } from './api-error';

/** Turns the first zod issue into a 400 naming the offending parameter. */
export function zodErrorToApiError(error: z.ZodError, root: 'body' | 'query' = 'body'): ApiError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const param = [...path, key].join('.');
    return new ApiError(400, ErrorCodes.parameterUnknown, `Unknown parameter: ${param}`, param);
  }
  const param = path.length ? path.join('.') : null;
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  if (missing) {
    // A missing body has no path: name the body, not "null".
    const message = param ? `Missing required parameter: ${param}` : root === 'body' ? 'Missing request body' : 'Missing query';
    return new ApiError(400, ErrorCodes.parameterMissing, message, param ?? root);
  }
  if (issue.code === 'invalid_type' && !param) {
    return new ApiError(400, ErrorCodes.invalidRequest, root === 'body' ? 'The request body must be a JSON object' : 'Invalid query', root);
  }
  return new ApiError(400, ErrorCodes.parameterInvalid, param ? `Invalid ${param}: ${issue.message}` : issue.message, param);
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, root: 'body' | 'query' = 'body'): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodErrorToApiError(result.error, root);
  return result.data;
}
