/**
 * Whether the words a caller has said so far read like a finished turn, to end the turn on a
 * shorter silence (or wait longer). English only, from the last words: a recognizer's partial has
 * no punctuation, so "book it for" ends with a word that needs more, "yes" or "next tuesday" does not.
 */
export type TurnCompleteness = 'complete' | 'incomplete' | 'unknown';

/** Words a sentence does not end on: conjunctions, prepositions, articles, possessives, auxiliaries, fillers. */
const NEEDS_MORE = new Set(
  (
    'and but or so because cause if when while then than that which who whose where whether ' +
    'the a an of with from on in at by about into onto over under after before between through until ' +
    'my your our their his her its this these those some any every each no ' +
    'is are was were be been am will would can could should shall may might must do does did have has had ' +
    'i we you they he she it me us them not ' +
    'um uh er ah hmm like just also well actually maybe'
  ).split(' '),
);

/**
 * Words a recognizer cannot tell from a number at the end of a turn ("at four" comes out "at for", "one to two" "one to
 * to"): they say nothing either way, so the usual silence ends the turn. In `pnpm bench voice`, 8 of 120 turns that
 * ended "thursday at four" were heard ending "for" and waited the incomplete silence.
 */
const SOUNDS_LIKE_A_NUMBER = new Set(['to', 'for']);

export function turnCompleteness(text: string, language: string): TurnCompleteness {
  if (!/^en\b/i.test(language)) return 'unknown';
  const words = text.toLowerCase().replace(/[^a-z' ]+/g, ' ').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 'unknown';
  const last = words.at(-1)!;
  if (SOUNDS_LIKE_A_NUMBER.has(last)) return 'unknown';
  return NEEDS_MORE.has(last) ? 'incomplete' : 'complete';
}
