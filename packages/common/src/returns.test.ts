import { describe, expect, it } from 'vitest';
import { normalizeReturns, ReturnsSchemaError } from './returns';

describe('normalizeReturns', () => {
  it('turns the short form into a strict JSON Schema of nullable, required fields', () => {
    expect(normalizeReturns({ confirmed: 'boolean', reschedule_to: 'string' })).toEqual({
      type: 'object',
      properties: { confirmed: { type: ['boolean', 'null'] }, reschedule_to: { type: ['string', 'null'] } },
      required: ['confirmed', 'reschedule_to'],
      additionalProperties: false,
    });
  });

  it('supports enums, arrays, nested objects and formats', () => {
    const s = normalizeReturns({ mood: 'enum(happy|sad)', tags: ['string'], address: { city: 'string' }, when: 'datetime' }) as any;
    expect(s.properties.mood).toEqual({ type: ['string', 'null'], enum: ['happy', 'sad', null] });
    expect(s.properties.tags).toEqual({ type: ['array', 'null'], items: { type: 'string' } });
    expect(s.properties.address.type).toEqual(['object', 'null']);
    expect(s.properties.address.properties.city).toEqual({ type: ['string', 'null'] });
    expect(s.properties.when).toEqual({ type: ['string', 'null'], format: 'date-time' });
  });

  it('passes full JSON Schema through and treats empty as none', () => {
    const full = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    expect(normalizeReturns(full)).toBe(full);
    expect(normalizeReturns(null)).toBeNull();
    expect(normalizeReturns({})).toBeNull();
  });

  it('names the offending field of a malformed short form', () => {
    expect(() => normalizeReturns({ confirmed: 'bool' })).toThrow(ReturnsSchemaError);
    expect(() => normalizeReturns({ confirmed: 'bool' })).toThrow(/confirmed/);
    expect(() => normalizeReturns({ 'bad key': 'string' })).toThrow(/identifier/);
    expect(() => normalizeReturns({ list: ['string', 'number'] })).toThrow(/exactly one/);
    expect(() => normalizeReturns({ n: 3 })).toThrow(ReturnsSchemaError);
  });
});
