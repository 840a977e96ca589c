import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error';
import { readCsv, textLines } from './csv';

async function* pieces(parts: Array<Buffer | string>) {
  for (const p of parts) yield p;
}

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('textLines', () => {
  it('reads lines across chunk boundaries, a character split between chunks, CRLF, a BOM and a last line without its end', async () => {
    const bytes = Buffer.from('\uFEFFto,name\r\n+15550100001,Zoë\n\n+15550100002,"A, B"');
    const at = bytes.indexOf(Buffer.from('ë')) + 1; // inside the two bytes of ë
    const lines = await collect(textLines(pieces([bytes.subarray(0, 5), bytes.subarray(5, at), bytes.subarray(at)])));
    expect(lines).toEqual([
      { line: 1, text: 'to,name' },
      { line: 2, text: '+15550100001,Zoë' },
      { line: 3, text: '' },
      { line: 4, text: '+15550100002,"A, B"' },
    ]);
  });

  it('stops with a 413 past its limit, having read no more than the chunk that crossed it', async () => {
    let read = 0;
    async function* endless() {
      for (;;) {
        read++;
        yield Buffer.from('+15550100001\n'.repeat(100));
      }
    }
    const err = await collect(textLines(endless(), 10_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(413);
    expect(read).toBe(8);
  });
});

describe('readCsv', () => {
  it('takes the separator the header has more of, quoted fields with doubled quotes, and skips blank records', async () => {
    const { columns, records } = await readCsv('Number; Reason\n+15550100001;"said ""stop"""\n\n+15550100002;moved\n');
    expect(columns).toEqual(['number', 'reason']);
    expect(await collect(records)).toEqual([
      { line: 2, values: ['+15550100001', 'said "stop"'] },
      { line: 4, values: ['+15550100002', 'moved'] },
    ]);
  });
});
