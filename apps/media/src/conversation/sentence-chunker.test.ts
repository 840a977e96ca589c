import { describe, expect, it } from 'vitest';
import { SentenceChunker } from './sentence-chunker';

function feed(tokens: string[]): string[] {
  const c = new SentenceChunker();
  const out: string[] = [];
  for (const t of tokens) out.push(...c.push(t));
  return [...out, ...c.flush()];
}

describe('SentenceChunker', () => {
  it('emits each sentence as soon as it is complete', () => {
    const c = new SentenceChunker();
    expect(c.push('Hello there')).toEqual([]);
    expect(c.push('. How ')).toEqual(['Hello there.']);
    expect(c.push('are you? I')).toEqual(['How are you?']);
    expect(c.flush()).toEqual(['I']);
  });

  it('joins word-by-word tokens into sentences', () => {
    expect(feed('Your appointment is on Tuesday. Does that still work for you? Great!'.match(/\S+\s*/g)!)).toEqual([
      'Your appointment is on Tuesday.',
      'Does that still work for you?',
      'Great!',
    ]);
  });

  it('does not cut at abbreviations, initials or decimals', () => {
    expect(feed(['Dr. Smith will see you at 3.30 p.m. on Friday. ', 'Bye.'])).toEqual(['Dr. Smith will see you at 3.30 p.m. on Friday.', 'Bye.']);
  });

  it('cuts a long run without a full stop at a comma', () => {
    const long = 'We have openings on Monday morning, Tuesday afternoon, Wednesday at noon, Thursday evening, and Friday all day, whichever you like';
    const pieces = feed([long]);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join(' ')).toBe(long);
  });

  it('treats a line break as the end of a piece', () => {
    expect(feed(['First line\nSecond line'])).toEqual(['First line', 'Second line']);
  });
});
