import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../simulator/tenant/random.js';
import { LineSplitter } from './line-splitter.js';

/**
 * The lines node:readline gives for these chunks (the reader's former splitter, the reference).
 * Since Node 22 readline also ends a line at U+2028 and U+2029; JSON strings may hold those raw, so
 * the splitter keeps them inside the line, and the comparisons leave such texts out.
 */
async function readlineLines(chunks: Buffer[]): Promise<string[]> {
  const input = new PassThrough();
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const lines: string[] = [];
  rl.on('line', (line) => lines.push(line));
  const closed = once(rl, 'close');
  for (const chunk of chunks) input.write(chunk);
  input.end();
  await closed;
  return lines;
}

function splitterLines(chunks: Buffer[]): string[] {
  const splitter = new LineSplitter();
  const lines = chunks.flatMap((chunk) => splitter.push(chunk));
  const last = splitter.end();
  return last === undefined ? lines : [...lines, last];
}

/** Cuts the bytes at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at].sort((a, b) => a - b)) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe('LineSplitter', () => {
  it('splits like readline: LF, CRLF, lone CR, blank lines, a last line without ending', async () => {
    const cases = [
      '{"a":1}\n{"b":2}\n',
      '{"a":1}\r\n\r\n{"b":2}',
      'a\rb\r\nc\n\rd\r',
      '\n\n\n',
      '',
      'no ending',
      'é€😀\n日本\r\n',
    ];
    for (const text of cases) {
      const bytes = Buffer.from(text);
      expect(splitterLines([bytes])).toEqual(await readlineLines([bytes]));
    }
  });

  it('keeps a CR and LF cut apart, and UTF-8 sequences cut apart, as readline does', async () => {
    const text = 'x\r\ny€\r\n😀z\r\n\r\nw\r';
    const bytes = Buffer.from(text);
    for (let at = 0; at <= bytes.length; at++) {
      const chunks = cut(bytes, [at]);
      expect(splitterLines(chunks), `cut at ${at}`).toEqual(await readlineLines(chunks));
    }
  });

  it('keeps U+2028 and U+2029 inside a line: JSON allows them unescaped in strings', () => {
    const text = '{"a":"x\u2028y\u2029z"}\n{"b":1}\n';
    expect(splitterLines([Buffer.from(text)])).toEqual(['{"a":"x\u2028y\u2029z"}', '{"b":1}']);
  });

  it('matches readline on random text cut into random chunks, invalid UTF-8 included', async () => {
    const rnd = seededRandom(7);
    const alphabet = [
      0x0a, 0x0d, 0x0d, 0x41, 0x7b, 0x20, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff,
    ];
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(
        Array.from(
          { length: 1 + Math.floor(rnd() * 80) },
          () => alphabet[Math.floor(rnd() * alphabet.length)]!,
        ),
      );
      const cuts = Array.from({ length: Math.floor(rnd() * 6) }, () =>
        Math.floor(rnd() * (bytes.length + 1)),
      );
      const chunks = cut(bytes, cuts);
      if (/[\u2028\u2029]/.test(bytes.toString('utf8'))) continue;
      expect(splitterLines(chunks), `bytes ${bytes.toString('hex')} cut at ${cuts}`).toEqual(
        await readlineLines(chunks),
      );
    }
  });
});
