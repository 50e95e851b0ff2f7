/**
 * A read thread (read-threads.ts): opens the store again, on a connection of its own, and answers
 * the reads the server's thread hands it with their JSON bytes. It never writes. Messages are plain
 * data (read-thread-messages.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/db/open-store.js';
import type { Store } from '../store/db/store.js';
import {
  describeReadFailure,
  type ReadThreadData,
  type ReadThreadReply,
  type ReadThreadRequest,
} from './read-thread-messages.js';
import { answerStoreRead, type StoreReadArgs, type StoreReadName } from './store-reads.js';

/**
 * How PostgreSQL plans the API's reads (docs/api.md#read-threads): small reads by index of data the
 * database server keeps in memory, where a page read out of order costs about what one read in
 * order does. At PostgreSQL's default (`random_page_cost` 4, for disks that seek) a host's open
 * findings were joined to their software by hashing the whole software table, three times the time of
 * looking each of a few dozen up by key (docs/benchmarks.md#rest-api).
 */
const API_READ_SETTINGS = { random_page_cost: '1.1' };

const port = parentPort;
if (!port) throw new Error('read-thread runs as a worker thread');
const send = (reply: ReadThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

let store: Store;
try {
  // The server opened and migrated this store already: a thread only reads it.
  store = await openStore((workerData as ReadThreadData).location, {
    migrate: false,
    create: false,
    postgresSettings: API_READ_SETTINGS,
  });
} catch (err) {
  send({ ready: false, message: (err as Error).message });
  process.exit(1);
}

port.on('message', (request: ReadThreadRequest | 'close') => {
  if (request === 'close') {
    port.close();
    void store.close();
    return;
  }
  answerStoreRead(store, request.name, request.args as StoreReadArgs<StoreReadName>).then(
    (bytes) => {
      // An answer with a memory block of its own moves to the server's thread without a copy; a
      // small one shares Node's pool of small buffers and is copied.
      const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
      send({ id: request.id, bytes }, own ? [bytes.buffer as ArrayBuffer] : []);
    },
    (err: unknown) => send({ id: request.id, failure: describeReadFailure(err) }),
  );
});
send({ ready: true });
