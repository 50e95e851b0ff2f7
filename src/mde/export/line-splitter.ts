/**
 * Splits a byte stream into text lines exactly as `node:readline` does with `crlfDelay: Infinity`
 * (UTF-8 decoded by a `StringDecoder`; `\n`, `\r\n` and a lone `\r` end a line, also when `\r` and
 * `\n` arrive in different chunks; a last line without an ending counts unless it is empty; U+2028 and
 * U+2029, which readline splits on since Node 22, stay inside the line because JSON allows them raw), but a
 * chunk at a time: readline runs a regular expression per line and hands each line through an event
 * and a promise, which at 3 million rows cost more than the JSON.parse that follows
 * (docs/benchmarks.md#targets).
 */
import { StringDecoder } from 'node:string_decoder';

const LF = 10;
const CR = 13;

/**
 * Feed it chunks with {@link push}, then call {@link end}. Lines that span chunks are kept between
 * calls; nothing else is buffered.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** The unfinished last line of the text so far. */
  private rest = '';
  /** The text so far ended in `\r`: a `\n` that starts the next chunk belongs to that line ending. */
  private sawReturn = false;

  /** The lines the chunk completes, in order (often none for a short chunk). */
  push(chunk: Buffer): string[] {
    // A stream never delivers an empty chunk to readline; one must not end a pending `\r` either.
    if (chunk.length === 0) return [];
    let text = this.decoder.write(chunk);
    if (this.sawReturn) {
      // readline forgets the `\r` after one chunk, even one that decodes to no text; the same here.
      if (text.charCodeAt(0) === LF) text = text.slice(1);
      this.sawReturn = false;
    }
    const lines: string[] = [];
    let from = 0;
    if (text.indexOf('\r') === -1) {
      // The common case (Unix line endings): one scan for `\n`, no per-line regular expression.
      let at = text.indexOf('\n');
      if (at === -1) {
        this.rest += text;
        return lines;
      }
      lines.push(this.rest + text.slice(0, at));
      this.rest = '';
      from = at + 1;
      for (;;) {
        at = text.indexOf('\n', from);
        if (at === -1) break;
        lines.push(text.slice(from, at));
        from = at + 1;
      }
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        lines.push(from === 0 ? this.rest + text.slice(0, i) : text.slice(from, i));
        if (from === 0) this.rest = '';
        if (c === CR) {
          if (i + 1 === text.length) this.sawReturn = true;
          else if (text.charCodeAt(i + 1) === LF) i++;
        }
        from = i + 1;
      }
      if (lines.length === 0) {
        this.rest += text;
        return lines;
      }
    }
    this.rest = text.slice(from);
    return lines;
  }

  /** The last line, when the input did not end with a line ending and that line is not empty. */
  end(): string | undefined {
    // Like readline, bytes of an unfinished UTF-8 sequence at the very end are dropped.
    const last = this.rest;
    this.rest = '';
    return last.length > 0 ? last : undefined;
  }
}
