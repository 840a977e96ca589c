/**
 * Cuts streamed model text into sentence-sized pieces for TTS, so the first sentence can be
 * spoken while the model is still writing the rest. A piece ends at . ! ? (or a line break)
 * followed by whitespace; a long run without one is cut at a comma, semicolon or colon. Common
 * abbreviations and decimal numbers do not end a sentence.
 */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'approx', 'no', 'sra', 'sr', 'dra']);

export class SentenceChunker {
  private buffer = '';

  constructor(private readonly options: { softLimit?: number } = {}) {}

  /** Adds text; returns the pieces that are complete. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (;;) {
      const cut = this.findCut();
      if (cut < 0) break;
      const piece = this.buffer.slice(0, cut).trim();
      this.buffer = this.buffer.slice(cut);
      if (piece) out.push(piece);
    }
    return out;
  }

  /** The rest, once the stream has ended. */
  flush(): string[] {
    const piece = this.buffer.trim();
    this.buffer = '';
    return piece ? [piece] : [];
  }

  private findCut(): number {
    const b = this.buffer;
    const softLimit = this.options.softLimit ?? 80;
    let soft = -1;
    for (let i = 0; i < b.length - 1; i++) {
      const c = b[i]!;
      const next = b[i + 1]!;
      if (c === '\n') {
        if (b.slice(0, i).trim()) return i + 1;
        continue;
      }
      if (!/\s/.test(next)) continue;
      if (c === '.' || c === '!' || c === '?' || c === '…') {
        if (c === '.' && this.isAbbreviation(i)) continue;
        return i + 1;
      }
      if ((c === ',' || c === ';' || c === ':') && i >= softLimit && soft < 0) soft = i + 1;
    }
    return soft;
  }

  private isAbbreviation(dot: number): boolean {
    const m = /([A-Za-z.]+)$/.exec(this.buffer.slice(0, dot));
    if (!m) return false;
    const word = m[1]!.toLowerCase();
    return ABBREVIATIONS.has(word) || /^([a-z]\.)*[a-z]$/.test(word);
  }
}

/** A whole text's sentences (as streamed text would be cut). */
export function splitSentences(text: string): string[] {
  const c = new SentenceChunker();
  return [...c.push(text), ...c.flush()];
}
