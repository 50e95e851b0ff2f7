import type { RecordKind } from '../export/export-kinds.js';
import { readRecordPage } from '../export/read-records.js';
import type { Store } from '../store/db/store.js';
import { notFound } from './api-error.js';
import { findingById, openFindingCountOfCve } from './findings-access.js';
import { readHostDetails } from './host-details.js';
import { type ListRequest, readList } from './record-list.js';

/**
 * The API's reads whose answer depends on the store alone (read-cache.ts), by name: a route names its
 * read and hands plain values, so that a read thread (read-threads.ts) can run it as well as the
 * server's own thread. A read throws ApiError for what the caller got wrong (a 404, a bad query).
 */
export const STORE_READS = {
  list: (store: Store, args: { kind: RecordKind; request: ListRequest }) =>
    readList(store, args.kind, args.request),

  host: (store: Store, args: { id: number }) => readHostDetails(store, args.id),

  finding: async (store: Store, args: { id: string }) => {
    const finding = await findingById(store, args.id);
    if (!finding) throw notFound(`finding ${args.id}`);
    return finding;
  },

  vulnerability: async (store: Store, args: { cveId: string }) => {
    const page = await readRecordPage(store, 'vulnerabilities', { equals: { id: args.cveId }, limit: 100 });
    const first = page.records[0];
    if (!first) throw notFound(`vulnerability ${args.cveId}`);
    return {
      vulnerability: first,
      definitions: page.records,
      openFindings: await openFindingCountOfCve(store, args.cveId),
    };
  },
} as const;

export type StoreReadName = keyof typeof STORE_READS;
export type StoreReadArgs<N extends StoreReadName> = Parameters<(typeof STORE_READS)[N]>[1];

/** Runs a read on this thread and answers its value as JSON bytes, the form every answer is sent in. */
export async function answerStoreRead<N extends StoreReadName>(
  store: Store,
  name: N,
  args: StoreReadArgs<N>,
): Promise<Buffer> {
  const read = STORE_READS[name] as (store: Store, args: StoreReadArgs<N>) => Promise<unknown>;
  return Buffer.from(JSON.stringify(await read(store, args)));
}

/** Where the API's store reads run: on the server's thread, or in read threads (read-threads.ts). */
export interface StoreReader {
  answer<N extends StoreReadName>(name: N, args: StoreReadArgs<N>): Promise<Buffer>;
  close(): Promise<void>;
}

/** Reads on the server's own thread, over its store. */
export function readerOnThisThread(store: Store): StoreReader {
  return {
    answer: (name, args) => answerStoreRead(store, name, args),
    close: async () => {},
  };
}
