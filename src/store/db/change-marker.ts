import { forEngine, type Store } from './store.js';

/**
 * Reads the store's change marker: a text that is the same at two moments only if no data was
 * committed between them (docs/architecture.md#change-marker). A different text does not prove a
 * change (a rolled-back write, or on PostgreSQL a commit in another database of the cluster, also
 * moves it); an equal one proves there was none. The API answers a repeated read from its cache
 * while the marker stays the same (api/read-cache.ts).
 */
export type ChangeMarker = () => Promise<string>;

/**
 * - SQLite: `data_version` moves when another connection (a worker process, a sync thread) commits;
 *   `total_changes()` counts the rows this connection itself inserted, updated or deleted.
 * - PostgreSQL: the current snapshot (`xmin:xmax:in-progress ids`). Every commit of a transaction
 *   that wrote moves `xmax` or takes its id out of the in-progress list, so two equal snapshots see
 *   the same committed transactions.
 */
export function storeChangeMarker(store: Store): ChangeMarker {
  return forEngine<ChangeMarker>(store.engine, {
    sqlite(sqlite) {
      const statement = sqlite
        .prepare("select data_version || '.' || total_changes() from pragma_data_version")
        .pluck();
      return async () => statement.get() as string;
    },
    postgres(pool) {
      return async () => {
        const result = await pool.query<{ marker: string }>('select pg_current_snapshot()::text as marker');
        return result.rows[0]!.marker;
      };
    },
  });
}

/**
 * The same marker, read less often when many ask at once: a call gets a read that starts after the
 * call, shared by every call made before that read starts. While one read runs, the calls that come
 * in wait for a single read queued behind it. Each caller still gets a value read after it asked,
 * which is all a marker promises; fifty requests in flight then cost a read or two, not fifty round
 * trips to PostgreSQL.
 */
export function sharedMarkerReads(marker: ChangeMarker): ChangeMarker {
  let running: Promise<string> | undefined;
  let queued: Promise<string> | undefined;
  const start = (): Promise<string> => {
    const read = marker().finally(() => {
      if (running === read) running = undefined;
    });
    running = read;
    return read;
  };
  return () => {
    if (!running) return start();
    if (!queued) {
      queued = running
        .catch(() => undefined)
        .then(() => {
          queued = undefined;
          return start();
        });
    }
    return queued;
  };
}
