import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import OpenAI from 'openai';
import type { JsonSchema, TranscriptSegment } from '@parley/common';
import type { ExtractionModel } from './extraction-models';

export interface ExtractionInput {
  segments: TranscriptSegment[];
  /** Normalised JSON Schema of the result (see `normalizeReturns`). */
  schema: JsonSchema;
  /** The call's context (names, dates...) that the agent was given; helps read the transcript. */
  context: Record<string, unknown>;
  /** When the call took place, so "tomorrow" can be read as a date. */
  callStartedAt: Date;
  language: string;
  /** The server and model to ask. */
  model: ExtractionModel;
}

export type ExtractionOutcome =
  | { ok: true; result: Record<string, unknown>; attempts: number }
  | { ok: false; error: string; attempts: number };

/** The model could not be reached (transport error, 5xx after the SDK's retries, timeout): worth trying later. */
export class ModelUnavailableError extends Error {}

/** The model server understood and refused (unknown model, unusable schema, refusal): retrying will not help. */
class ModelRejectedError extends Error {}

export const SYSTEM_PROMPT = [
  'You extract structured data from the transcript of a phone call between an AI agent ("agent") and the person on the line ("user").',
  'Answer with one JSON object that matches the given JSON Schema exactly.',
  'Use only what the conversation established. A field the conversation did not settle is null: never guess, infer beyond what was said, or invent a value.',
  'Dates are ISO 8601 (YYYY-MM-DD), date-times ISO 8601 with offset; resolve relative dates ("tomorrow") from the call date given.',
].join('\n');

export function renderTranscript(segments: TranscriptSegment[]): string {
  return [...segments]
    .sort((a, b) => a.index - b.index)
    .filter((s) => s.text.trim() !== '')
    .map((s) => `${s.role}: ${s.text.trim()}${s.interrupted ? ' [interrupted]' : ''}`)
    .join('\n');
}

/** OpenAI strict structured output needs every object closed and every property required; other schemas go non-strict. */
export function isStrictCompatible(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return true;
  const s = schema as Record<string, unknown>;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('object') && s.properties) {
    const keys = Object.keys(s.properties as object);
    const required = Array.isArray(s.required) ? (s.required as string[]) : [];
    if (s.additionalProperties !== false || keys.some((k) => !required.includes(k))) return false;
    if (!Object.values(s.properties as object).every(isStrictCompatible)) return false;
  }
  if (s.items && !isStrictCompatible(s.items)) return false;
  return true;
}

/** Transcript + schema -> a result validated with ajv; one retry that shows the model its validation error. */
export class ResultExtractor {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
  }

  private validator(schema: JsonSchema): ValidateFunction {
    const key = JSON.stringify(schema);
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(schema);
      if (this.validators.size > 500) this.validators.delete(this.validators.keys().next().value!);
      this.validators.set(key, v);
    }
    return v;
  }

  async extract(input: ExtractionInput): Promise<ExtractionOutcome> {
    let validate: ValidateFunction;
    try {
      validate = this.validator(input.schema);
    } catch (err) {
      return { ok: false, error: `the returns schema is not valid JSON Schema: ${(err as Error).message}`, attempts: 0 };
    }
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: [
          `Call date: ${input.callStartedAt.toISOString()} (language: ${input.language}).`,
          `Context the agent was given: ${JSON.stringify(input.context)}`,
          '',
          'Transcript:',
          renderTranscript(input.segments),
        ].join('\n'),
      },
    ];
    const responseFormat = {
      type: 'json_schema' as const,
      json_schema: { name: 'call_result', schema: input.schema, strict: isStrictCompatible(input.schema) },
    };
    let lastError = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      let content: string;
      try {
        content = await this.complete(input.model, messages, responseFormat);
      } catch (err) {
        if (err instanceof ModelRejectedError) return { ok: false, error: err.message, attempts: attempt };
        throw err;
      }
      const checked = this.check(content, validate);
      if (checked.ok) return { ok: true, result: checked.result, attempts: attempt };
      lastError = checked.error;
      messages.push(
        { role: 'assistant', content },
        { role: 'user', content: `That answer is invalid: ${checked.error}. Answer again with only a JSON object that matches the schema exactly; use null for anything the conversation did not settle.` },
      );
    }
    return { ok: false, error: `the model's answer did not match the returns schema after a retry: ${lastError}`, attempts: 2 };
  }

  private check(content: string, validate: ValidateFunction): { ok: true; result: Record<string, unknown> } | { ok: false; error: string } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      return { ok: false, error: `not JSON (${JSON.stringify(content.slice(0, 120))})` };
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, error: 'not a JSON object' };
    if (!validate(parsed)) return { ok: false, error: this.ajv.errorsText(validate.errors, { dataVar: 'result' }) };
    return { ok: true, result: parsed as Record<string, unknown> };
  }

  private async complete({ client, model }: ExtractionModel, messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[], responseFormat: OpenAI.ResponseFormatJSONSchema): Promise<string> {
    try {
      const res = await client.chat.completions.create({ model, messages, response_format: responseFormat, temperature: 0 });
      const message = res.choices[0]?.message;
      if (message?.refusal) throw new ModelRejectedError(`the model refused: ${message.refusal}`);
      return message?.content ?? '';
    } catch (err) {
      if (err instanceof ModelRejectedError) throw err;
      if (err instanceof OpenAI.APIError && err.status !== undefined && err.status < 500 && err.status !== 429 && err.status !== 408) {
        throw new ModelRejectedError(`the model server rejected the request: ${err.message}`);
      }
      // The SDK says "Connection error." and keeps why (refused address, ECONNREFUSED...) as the cause.
      const cause = (err as Error).cause instanceof Error ? ` (${((err as Error).cause as Error).message})` : '';
      throw new ModelUnavailableError(`model request failed: ${(err as Error).message}${cause}`);
    }
  }
}
