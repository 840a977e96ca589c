import { describe, expect, it } from 'vitest';
import { turnCompleteness } from './turn-completeness';

describe('turnCompleteness', () => {
  it.each(['yes', 'no thanks', 'next tuesday afternoon', 'can you move my cleaning to thursday', 'my daughter has a fever'])('%s is complete', (text) => {
    expect(turnCompleteness(text, 'en-US')).toBe('complete');
  });

  it.each(['i would like to book it with', 'my daughter has a fever and', 'um', 'it is the', 'send it to my'])('%s needs more', (text) => {
    expect(turnCompleteness(text, 'en')).toBe('incomplete');
  });

  it.each(['can you move my cleaning to thursday at for', 'i would like to book it for', 'from one to'])('%s may end on a number heard as a word: the usual silence', (text) => {
    expect(turnCompleteness(text, 'en')).toBe('unknown');
  });

  it('cannot tell from nothing, or in a language it has no words for', () => {
    expect(turnCompleteness('', 'en')).toBe('unknown');
    expect(turnCompleteness('mañana por la', 'es')).toBe('unknown');
  });
});
