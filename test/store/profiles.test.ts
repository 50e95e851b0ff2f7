import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MachineSchema } from '../../src/mde/schemas/machine.js';
import { normalizeMachine } from '../../src/normalize/normalize-machine.js';
import type { Store } from '../../src/store/db/store.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { ProfileWriter } from '../../src/store/hosts/profile-writer.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const device = (id: string, fields: Record<string, unknown>) =>
  normalizeMachine(
    MachineSchema.parse({ id: id.padEnd(40, '0'), lastSeen: '2026-11-01T00:00:00Z', ...fields }),
  );

describe.each(STORE_KINDS)('dynamic OS and OS_VERSION profiles (%s)', (kind) => {
  let db: TestStore;
  let store: Store;
  let connectorId: number;
  beforeEach(async () => {
    db = await openTestStore(kind);
    store = db.store;
    connectorId = await addOfflineConnector(store, 'a', {}, 'default');
  });
  afterEach(() => db.drop());

  const write = (machines: ReturnType<typeof device>[]) =>
    new HostWriter(store).writeBatch(
      {
        connectorId,
        runId: 1,
        network: 'default',
        at: '2026-11-02T00:00:00.000Z',
        staleDays: 0,
        now: Date.parse('2026-11-02T00:00:00Z'),
      },
      machines,
      { stream: 'machines', value: {} },
    );

  async function memberships(): Promise<Record<string, string[]>> {
    const rows = await store.db
      .selectFrom('hostProfiles')
      .innerJoin('profiles', 'profiles.id', 'hostProfiles.profileId')
      .innerJoin('hostSources', 'hostSources.hostId', 'hostProfiles.hostId')
      .select(['hostSources.machineId', 'profiles.kind', 'profiles.name', 'hostProfiles.matchScore'])
      .execute();
    const out: Record<string, string[]> = {};
    for (const r of rows) {
      const key = r.machineId.replace(/0+$/, '');
      out[key] = [...(out[key] ?? []), `${r.kind} ${r.name} ${r.matchScore}`].sort();
    }
    return out;
  }

  it('scores 100 with platform and release, 80 with the platform only, nothing without OS details', async () => {
    await write([
      device('a1', { osPlatform: 'Windows11', version: '22H2', osBuild: 22621 }),
      device('a2', { osPlatform: 'Windows11', osVersion: '10.0.22631.4317', version: '23H2' }),
      device('a3', { osPlatform: 'Windows11' }),
      device('a4', { osPlatform: 'Linux', osVersion: '5.15' }),
      device('a5', { computerDnsName: 'no-os' }),
    ]);
    const r = await new ProfileWriter(store).refresh(connectorId, '2026-11-02T00:00:00.000Z');
    expect(r).toMatchObject({ profilesAdded: 5, assigned: 7, unassigned: 0, memberships: 7 });
    expect(await memberships()).toEqual({
      a1: ['OS Windows11 100', 'OS_VERSION Windows11 22H2 100'],
      a2: ['OS Windows11 100', 'OS_VERSION Windows11 23H2 100'],
      a3: ['OS Windows11 80'],
      a4: ['OS Linux 100', 'OS_VERSION Linux 5.15 100'],
    });
    const profiles = await store.db
      .selectFrom('profiles')
      .select(['kind', 'name', 'osPlatform', 'osVersion'])
      .orderBy('name')
      .execute();
    expect(profiles).toContainEqual({
      kind: 'OS_VERSION',
      name: 'Windows11 22H2',
      osPlatform: 'Windows11',
      osVersion: '22H2',
    });
    expect(profiles).toContainEqual({
      kind: 'OS',
      name: 'Windows11',
      osPlatform: 'Windows11',
      osVersion: null,
    });
  });

  it('an upgrade moves the host to the new OS_VERSION profile and removes the emptied one', async () => {
    await write([device('a1', { osPlatform: 'Windows10', version: '21H2' })]);
    await new ProfileWriter(store).refresh(connectorId, '2026-11-02T00:00:00.000Z');
    await write([device('a1', { osPlatform: 'Windows11', version: '23H2' })]);
    const r = await new ProfileWriter(store).refresh(connectorId, '2026-11-03T00:00:00.000Z');
    expect(r).toMatchObject({ profilesAdded: 2, profilesRemoved: 2, assigned: 2, unassigned: 2 });
    expect(await memberships()).toEqual({ a1: ['OS Windows11 100', 'OS_VERSION Windows11 23H2 100'] });
    expect(
      (await store.db.selectFrom('profiles').select('name').execute()).map((p) => p.name).sort(),
    ).toEqual(['Windows11', 'Windows11 23H2']);
    // The version goes missing: the OS membership drops to 80 and the OS_VERSION profile goes.
    await write([device('a1', { osPlatform: 'Windows11', osBuild: 22631 })]);
    await new ProfileWriter(store).refresh(connectorId, '2026-11-04T00:00:00.000Z');
    expect(await memberships()).toEqual({ a1: ['OS Windows11 80'] });
    expect(await store.db.selectFrom('hosts').select('id').execute()).toHaveLength(1);
  });
  it('after a run: nothing when no source changed, only the changed hosts when that run alone changed some', async () => {
    const at = '2026-11-02T00:00:00.000Z';
    const run = (runId: number, writer: HostWriter, machines: ReturnType<typeof device>[], lastSeen = '') =>
      writer.writeBatch(
        { connectorId, runId, network: 'default', at, staleDays: 0, now: Date.parse(at) },
        lastSeen ? machines.map((m) => ({ ...m, source: { ...m.source, lastSeen } })) : machines,
        { stream: 'machines', value: {} },
      );
    const afterRun = (runId: number, writer: HostWriter) =>
      new ProfileWriter(store).refreshAfterRun(
        connectorId,
        at,
        runId,
        writer.profileHostsChanged(connectorId, runId),
      );
    const fleet = [
      device('b1', { osPlatform: 'Windows10', version: '21H2' }),
      device('b2', { osPlatform: 'Windows10', version: '21H2' }),
      device('b3', { osPlatform: 'Linux', osVersion: '5.15' }),
    ];
    // Run 1, nothing known about the profiles yet: every host.
    let writer = new HostWriter(store);
    await run(1, writer, fleet);
    expect(await afterRun(1, writer)).toMatchObject({ profilesAdded: 4, assigned: 6, memberships: 6 });
    // Run 2, same devices, only the report time moved: nothing to do, the same counts.
    writer = new HostWriter(store);
    await run(2, writer, fleet, '2026-11-01T12:00:00Z');
    expect(writer.profileHostsChanged(connectorId, 2)).toBeUndefined();
    expect(await afterRun(2, writer)).toEqual({
      profilesAdded: 0,
      profilesRemoved: 0,
      assigned: 0,
      unassigned: 0,
      memberships: 6,
    });
    // Run 3: b1 upgrades and b4 is new; only their hosts are reassigned, the others keep theirs.
    writer = new HostWriter(store);
    await run(3, writer, [
      device('b1', { osPlatform: 'Windows11', version: '23H2' }),
      fleet[1]!,
      fleet[2]!,
      device('b4', { osPlatform: 'Linux', osVersion: '6.1' }),
    ]);
    expect(writer.profileHostsChanged(connectorId, 3)?.size).toBe(2);
    expect(await afterRun(3, writer)).toEqual({
      profilesAdded: 3,
      profilesRemoved: 0,
      assigned: 4,
      unassigned: 2,
      memberships: 8,
    });
    expect(await memberships()).toEqual({
      b1: ['OS Windows11 100', 'OS_VERSION Windows11 23H2 100'],
      b2: ['OS Windows10 100', 'OS_VERSION Windows10 21H2 100'],
      b3: ['OS Linux 100', 'OS_VERSION Linux 5.15 100'],
      b4: ['OS Linux 100', 'OS_VERSION Linux 6.1 100'],
    });
    // Run 4 changes b2 and ends before its refresh; run 5 changes b3: run 5's refresh covers b2 too.
    await run(4, new HostWriter(store), [device('b2', { osPlatform: 'Windows11', version: '23H2' })]);
    writer = new HostWriter(store);
    await run(5, writer, [device('b3', { osPlatform: 'Linux', osVersion: '6.1' })]);
    expect(await afterRun(5, writer)).toMatchObject({ profilesRemoved: 3, assigned: 3, unassigned: 3 });
    expect(await memberships()).toEqual({
      b1: ['OS Windows11 100', 'OS_VERSION Windows11 23H2 100'],
      b2: ['OS Windows11 100', 'OS_VERSION Windows11 23H2 100'],
      b3: ['OS Linux 100', 'OS_VERSION Linux 6.1 100'],
      b4: ['OS Linux 100', 'OS_VERSION Linux 6.1 100'],
    });
    // Turning profiles off forgets the state: the next refresh rebuilds every membership.
    await new ProfileWriter(store).removeForConnector(connectorId);
    expect(await afterRun(6, new HostWriter(store))).toMatchObject({ profilesAdded: 4, assigned: 8 });
  });
});
