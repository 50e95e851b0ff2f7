import { addOfflineConnector } from './offline-connector.js';
import { openTestStore, STORE_KINDS, type StoreKind, type TestStore } from './test-stores.js';

/** Every mode of a snapshot session: the writer thread, inline SQLite and PostgreSQL. */
export const SESSION_MODES = [
  ...STORE_KINDS.map((kind) => ({ kind, worker: kind === 'sqlite' })),
  { kind: 'sqlite' as const, worker: false },
];

/**
 * A fresh store of `kind` with one offline connector, its SQLite sessions on the writer thread or
 * inline (`MDEC_SNAPSHOT_WORKER=0`) as `worker` says; `close` puts the setting back and drops it.
 */
export async function openSessionStore(
  kind: StoreKind,
  worker: boolean,
): Promise<{ t: TestStore; connectorId: number; close(): Promise<void> }> {
  const saved = process.env.MDEC_SNAPSHOT_WORKER;
  if (!worker) process.env.MDEC_SNAPSHOT_WORKER = '0';
  const t = await openTestStore(kind);
  const connectorId = await addOfflineConnector(t.store, 'c');
  return {
    t,
    connectorId,
    async close() {
      if (saved === undefined) delete process.env.MDEC_SNAPSHOT_WORKER;
      else process.env.MDEC_SNAPSHOT_WORKER = saved;
      await t.drop();
    },
  };
}
