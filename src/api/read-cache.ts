import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeMarker } from '../store/db/change-marker.js';
import type { StoreReadArgs, StoreReader, StoreReadName } from './store-reads.js';

/** Answers kept at most; the least recently asked for goes first. */
const MAX_ENTRIES = 256;
/** Bytes of kept answers at most (a page of 1,000 hosts is about 3 MB). */
const MAX_BYTES = 64 * 1024 * 1024;
/** An answer larger than this is shared by the requests waiting for it but not kept. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

interface Entry {
  marker: string;
  answer: Promise<Buffer>;
  bytes: number;
}

/**
 * Answers of the API's store reads, as JSON bytes, shared while the store is unchanged
 * (docs/api.md#repeated-reads). A read is keyed by what was asked (the route's URL with its query
 * string) and by the store's change marker when it was asked (store/db/change-marker.ts):
 * - a request that arrives while the same read runs, with the marker unchanged, waits for that read;
 * - a request that arrives after it ended, with the marker still unchanged, gets its bytes.
 * Either way nothing was committed between the start of that read and the request, so the answer is
 * what a read of its own would have returned. Any commit moves the marker and the next request reads
 * again. A failed read (a 404, a bad query, a store error) is shared by those already waiting for it
 * but never kept.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly markers = new WeakMap<object, Promise<string>>();

  constructor(private readonly marker: ChangeMarker) {}

  /**
   * The store's change marker as of a request: read once, when first asked for after the request
   * arrived, and shared by everything that serves it (authentication, the answer). Any value read
   * after the request arrived is as good as another for these rules.
   */
  markerOf(request: object): Promise<string> {
    let known = this.markers.get(request);
    if (!known) {
      known = this.marker();
      this.markers.set(request, known);
    }
    return known;
  }

  /**
   * The answer (JSON bytes) for `key` as of `marker` (read after the request arrived): shared, kept, or
   * read.
   */
  async answer(key: string, marker: string, read: () => Promise<Buffer>): Promise<Buffer> {
    const known = this.entries.get(key);
    if (known && known.marker === marker) {
      // Most recently asked for last: the first entry is the one to drop.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known.answer;
    }
    if (known) this.forget(key, known);
    const entry: Entry = {
      marker,
      answer: read(),
      bytes: 0,
    };
    this.entries.set(key, entry);
    try {
      const answer = await entry.answer;
      if (this.entries.get(key) === entry) this.keep(key, entry, answer.length);
      return answer;
    } catch (err) {
      if (this.entries.get(key) === entry) this.forget(key, entry);
      throw err;
    }
  }

  /** Kept answers and their bytes, for tests and metrics. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private keep(key: string, entry: Entry, bytes: number): void {
    if (bytes > MAX_ANSWER_BYTES) {
      this.forget(key, entry);
      return;
    }
    entry.bytes = bytes;
    this.bytes += bytes;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && this.bytes <= MAX_BYTES) break;
      // Reads still running are not counted yet and are left to finish.
      if (oldest.bytes > 0 || oldest === entry) this.forget(oldestKey, oldest);
    }
  }

  private forget(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/** The content type of the answers kept here. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers a GET of store data with the named read's value as JSON (store-reads.ts), run by `reader`
 * and shared through `reads` by the request's URL (path and query string): every route whose answer
 * depends on the store alone, never on who asks or on the clock.
 */
export async function sendStoreRead<N extends StoreReadName>(
  ctx: { reads: ReadCache; reader: StoreReader },
  request: FastifyRequest,
  reply: FastifyReply,
  name: N,
  args: StoreReadArgs<N>,
): Promise<FastifyReply> {
  const marker = await ctx.reads.markerOf(request);
  return reply
    .type(JSON_TYPE)
    .send(await ctx.reads.answer(request.url, marker, () => ctx.reader.answer(name, args)));
}
