import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from './api-error';
import { parseOrThrow } from './zod-error';

const body = z.object({ name: z.string() }).strict();

function refusal(value: unknown): ApiError {
  try {
    parseOrThrow(body, value);
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a refusal');
}

describe('zod errors as API errors', () => {
  it('names the body when it is missing', () => {
    expect(refusal(undefined)).toMatchObject({ message: 'Missing request body', param: 'body' });
  });

  it('names the body when it is not an object', () => {
    expect(refusal([{ name: 'x' }])).toMatchObject({ message: 'The request body must be a JSON object', param: 'body' });
  });

  it('names the field when a field is missing', () => {
    expect(refusal({}).message).toBe('Missing required parameter: name');
  });

});
