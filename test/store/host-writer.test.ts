import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MachineSchema } from '../../src/mde/schemas/machine.js';
import { normalizeMachine } from '../../src/normalize/normalize-machine.js';
import type { Store } from '../../src/store/db/store.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const id = (name: string) => name.padEnd(40, '0');
const device = (name: string, lastSeen: string, fields: Record<string, unknown> = {}) =>
  normalizeMachine(MachineSchema.parse({ id: id(name), lastSeen, osPlatform: 'Windows11', ...fields }));

describe.each(STORE_KINDS)('host writer: a re-read of known devices (%s)', (kind) => {
  let db: TestStore;
  let store: Store;
  let connectorId: number;
  beforeEach(async () => {
    db = await openTestStore(kind);
    store = db.store;
    connectorId = await addOfflineConnector(store, 'a');
  });
  afterEach(() => db.drop());

  const write = (writer: HostWriter, runId: number, now: string, machines: ReturnType<typeof device>[]) =>
    writer.writeBatch(
      { connectorId, runId, network: 'default', at: now, staleDays: 7, now: Date.parse(now) },
      machines,
      { stream: 'machines', value: {} },
    );

  async function state() {
    const rows = await store.db
      .selectFrom('hostSources')
      .innerJoin('hosts', 'hosts.id', 'hostSources.hostId')
      .select([
        'hostSources.machineId',
        'hostSources.lastSeen as sourceSeen',
        'hostSources.seenRunId',
        'hosts.lastSeen as hostSeen',
        'hosts.status',
      ])
      .execute();
    return Object.fromEntries(
      rows.map((r) => [
        r.machineId.replace(/0+$/, ''),
        `${r.sourceSeen?.slice(5, 10)} run ${r.seenRunId} | host ${r.hostSeen?.slice(5, 10)} ${r.status}`,
      ]),
    );
  }

  it('report times move source and host, time alone makes hosts stale, every device is seen by the run', async () => {
    const writer = new HostWriter(store);
    const first = await write(writer, 1, '2026-11-10T00:00:00.000Z', [
      device('d1', '2026-11-09T00:00:00Z'),
      device('d2', '2026-11-09T00:00:00Z'),
      device('d3', '2026-11-05T00:00:00Z'),
      // Merged into d1: after the fold d1's host has two sources.
      device('d4', '2026-11-08T00:00:00Z', { mergedIntoMachineId: id('d1') }),
      device('d5', '2026-11-09T00:00:00Z'),
      device('d6', '2026-11-04T00:00:00Z'),
    ]);
    expect(first).toMatchObject({ inserted: 6, updated: 0, unchanged: 0, skipped: 0 });
    expect(await writer.foldMerged(connectorId, '2026-11-10T00:00:00.000Z')).toBe(1);

    const second = await write(new HostWriter(store), 2, '2026-11-13T00:00:00.000Z', [
      device('d1', '2026-11-12T00:00:00Z'),
      device('d2', '2026-11-09T00:00:00Z'),
      device('d3', '2026-11-05T00:00:00Z'),
      device('d4', '2026-11-08T00:00:00Z', { mergedIntoMachineId: id('d1') }),
      device('d5', '2026-11-12T00:00:00Z'),
      device('d6', '2026-11-05T00:00:00Z'),
    ]);
    expect(second).toEqual({ inserted: 0, updated: 0, unchanged: 6, skipped: 0 });
    expect(await state()).toEqual({
      // Two sources: the one seen last writes the host.
      d1: '11-12 run 2 | host 11-12 active',
      d2: '11-09 run 2 | host 11-09 active',
      // Unchanged, but 8 days since its report now: stale.
      d3: '11-05 run 2 | host 11-05 stale',
      d4: '11-08 run 2 | host 11-12 active',
      // Only the report time moved (one source): source and host follow it.
      d5: '11-12 run 2 | host 11-12 active',
      d6: '11-05 run 2 | host 11-05 stale',
    });

    // d4, the older source of d1's host, reports again but still before d1: the host stays d1's.
    await write(new HostWriter(store), 3, '2026-11-13T00:00:00.000Z', [
      device('d4', '2026-11-11T00:00:00Z', { mergedIntoMachineId: id('d1') }),
    ]);
    expect((await state()).d4).toBe('11-11 run 3 | host 11-12 active');
  });
});
