import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usableAadDeviceId } from '../../src/normalize/host-name.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { ProfileWriter } from '../../src/store/hosts/profile-writer.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync, TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

const MACHINES_ONLY = { dataTypes: ['machines' as const] };

async function hostsOf(store: Store, connectorId: number): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom('hostSources')
    .select(['machineId', 'hostId'])
    .where('connectorId', '=', connectorId)
    .execute();
  return new Map(rows.map((r) => [r.machineId, Number(r.hostId)]));
}

async function count(store: Store, table: 'hosts' | 'profiles' | 'hostProfiles', connectorId?: number) {
  let q = store.db.selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n'));
  if (connectorId !== undefined) q = q.where('connectorId' as never, '=', connectorId as never);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** What the profiles of a connector must be, worked out here from its stored host sources. */
async function expectedMemberships(store: Store, connectorId: number): Promise<string[]> {
  const sources = await store.db
    .selectFrom('hostSources')
    .select(['id', 'hostId', 'lastSeen', 'osPlatform', 'osVersion', 'version'])
    .where('connectorId', '=', connectorId)
    .execute();
  const latest = new Map<number, (typeof sources)[number]>();
  for (const s of sources) {
    const cur = latest.get(Number(s.hostId));
    const newer =
      !cur ||
      (s.lastSeen ?? '') > (cur.lastSeen ?? '') ||
      ((s.lastSeen ?? '') === (cur.lastSeen ?? '') && Number(s.id) > Number(cur.id));
    if (newer) latest.set(Number(s.hostId), s);
  }
  const out: string[] = [];
  for (const [hostId, s] of latest) {
    const platform = s.osPlatform?.trim();
    if (!platform) continue;
    const release = (s.version ?? s.osVersion ?? '').trim() || null;
    out.push(`${hostId}|OS|${platform}|${release ? 100 : 80}`);
    if (release) out.push(`${hostId}|OS_VERSION|${platform} ${release}|100`);
  }
  return out.sort();
}

async function storedMemberships(store: Store, connectorId: number): Promise<string[]> {
  const rows = await store.db
    .selectFrom('hostProfiles')
    .innerJoin('profiles', 'profiles.id', 'hostProfiles.profileId')
    .select(['hostProfiles.hostId', 'profiles.kind', 'profiles.name', 'hostProfiles.matchScore'])
    .where('hostProfiles.connectorId', '=', connectorId)
    .execute();
  return rows.map((r) => `${r.hostId}|${r.kind}|${r.name}|${r.matchScore}`).sort();
}

describe.each(STORE_KINDS)('two connectors over shared devices, and dynamic profiles (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150, seed: 31 });
  });
  afterAll(() => sim.close());

  it('default rules: every device two connectors share is one host with two sources', async () => {
    const db = await openTestStore(kind);
    try {
      const a = await addConnector(db.store, sim, MACHINES_ONLY, 'a');
      const b = await addConnector(db.store, sim, MACHINES_ONLY, 'b');
      expect((await sync(db.store, sim, 'full', 'a')).state).toBe('succeeded');
      // Records Defender merged into another get a host that the fold then marks `merged`
      // (docs/data-model.md#host-identity-and-merging).
      const live = async () =>
        (await db.store.db.selectFrom('hosts').select('id').where('status', '!=', 'merged').execute()).length;
      const hostsBefore = await live();
      const rb = await sync(db.store, sim, 'full', 'b');
      expect(rb.state).toBe('succeeded');
      expect(rb.counters.machines!.note).toMatch(/joined hosts another connector reports/);
      const [ha, hb] = [await hostsOf(db.store, a.id), await hostsOf(db.store, b.id)];
      expect(hb.size).toBe(ha.size);
      expect(ha.size).toBeGreaterThan(100);
      for (const [machineId, hostId] of ha) expect(hb.get(machineId), machineId).toBe(hostId);
      expect(await live()).toBe(hostsBefore);
    } finally {
      await db.drop();
    }
  });

  it('aadDeviceId alone: devices with an AAD id share a host, the rest (all-zero id included) do not', async () => {
    const db = await openTestStore(kind);
    try {
      const a = await addConnector(db.store, sim, MACHINES_ONLY, 'a');
      const b = await addConnector(
        db.store,
        sim,
        { ...MACHINES_ONLY, identificationRules: [{ rule: 'aadDeviceId', enabled: true }] },
        'b',
      );
      await sync(db.store, sim, 'full', 'a');
      await sync(db.store, sim, 'full', 'b');
      const truth = await sim.truthRows('machines');
      const aadCount = new Map<string, number>();
      for (const m of truth) {
        const aad = usableAadDeviceId(m.aadDeviceId as string | null);
        if (aad) aadCount.set(aad, (aadCount.get(aad) ?? 0) + 1);
      }
      const [ha, hb] = [await hostsOf(db.store, a.id), await hostsOf(db.store, b.id)];
      const aHosts = new Set(ha.values());
      let shared = 0;
      let apart = 0;
      let zero = 0;
      for (const m of truth) {
        const id = String(m.id);
        const aad = usableAadDeviceId(m.aadDeviceId as string | null);
        if (!ha.has(id)) continue;
        if (aad && aadCount.get(aad) === 1 && !m.mergedIntoMachineId) {
          expect(hb.get(id), id).toBe(ha.get(id));
          shared++;
        } else if (!aad) {
          expect(aHosts.has(hb.get(id)!), id).toBe(false);
          apart++;
          if (m.aadDeviceId === '00000000-0000-0000-0000-000000000000') zero++;
        }
      }
      expect(shared).toBeGreaterThan(10);
      expect(apart).toBeGreaterThan(10);
      expect(zero).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });

  it('profiles: created after a sync for the right hosts with their scores, removed when turned off', async () => {
    const db = await openTestStore(kind);
    try {
      const a = await addConnector(db.store, sim, MACHINES_ONLY, 'a');
      const r = await sync(db.store, sim, 'full', 'a');
      expect(r.counters.profiles).toMatchObject({ outcome: 'complete' });
      const expected = await expectedMemberships(db.store, a.id);
      expect(expected.length).toBeGreaterThan(200);
      expect(await storedMemberships(db.store, a.id)).toEqual(expected);
      const names = new Set(expected.map((e) => `${e.split('|')[1]}|${e.split('|')[2]}`));
      const profiles = await db.store.db.selectFrom('profiles').select(['kind', 'name']).execute();
      expect(new Set(profiles.map((p) => `${p.kind}|${p.name}`))).toEqual(names);
      expect(profiles.some((p) => p.kind === 'OS' && p.name === 'Windows11')).toBe(true);
      expect(profiles.some((p) => p.kind === 'OS_VERSION' && /^Windows11 \S+$/.test(p.name))).toBe(true);
      const hosts = await count(db.store, 'hosts');

      // A re-sync of the same data changes nothing.
      const again = await sync(db.store, sim, 'full', 'a');
      expect(again.counters.profiles).toMatchObject({ inserted: 0, closed: 0 });
      expect(await storedMemberships(db.store, a.id)).toEqual(expected);

      // `mdec connector edit --no-profiles`: profiles and memberships go at once, hosts stay.
      const repo = new ConnectorRepository(db.store, TEST_SECRETS);
      await repo.update(a.id, { options: { ...a.options, profiles: false } });
      expect(await count(db.store, 'profiles')).toBe(0);
      expect(await count(db.store, 'hostProfiles')).toBe(0);
      expect(await count(db.store, 'hosts')).toBe(hosts);
      expect((await sync(db.store, sim, 'full', 'a')).state).toBe('succeeded');
      expect(await count(db.store, 'profiles')).toBe(0);

      // On again: the next sync brings them back; off in the stored options: the next sync removes them.
      await repo.update(a.id, { options: { ...a.options, profiles: true } });
      await sync(db.store, sim, 'full', 'a');
      expect(await storedMemberships(db.store, a.id)).toEqual(expected);
      await db.store.db
        .updateTable('connectors')
        .set({ options: JSON.stringify({ ...a.options, profiles: false }) })
        .where('id', '=', a.id)
        .execute();
      const off = await sync(db.store, sim, 'full', 'a');
      expect(off.counters.profiles!.note).toMatch(/profiles option off: \d+ profiles removed/);
      expect(await count(db.store, 'profiles')).toBe(0);
      expect(await count(db.store, 'hosts')).toBe(hosts);
    } finally {
      await db.drop();
    }
  });

  it('profiles: a profile whose hosts are gone is removed; removing a connector removes its profiles, shared hosts stay', async () => {
    const db = await openTestStore(kind);
    try {
      const a = await addConnector(db.store, sim, MACHINES_ONLY, 'a');
      const b = await addConnector(db.store, sim, MACHINES_ONLY, 'b');
      await sync(db.store, sim, 'full', 'a');
      await sync(db.store, sim, 'full', 'b');
      const inA = await count(db.store, 'profiles', a.id);
      expect(inA).toBeGreaterThan(3);
      expect(await count(db.store, 'profiles', b.id)).toBe(inA);

      // Every iOS host disappears: the next refresh drops the iOS profiles and nothing else.
      await db.store.db.deleteFrom('hosts').where('osPlatform', '=', 'iOS').execute();
      const r = await new ProfileWriter(db.store).refresh(a.id, new Date().toISOString());
      expect(r.profilesRemoved).toBeGreaterThan(0);
      const left = await db.store.db
        .selectFrom('profiles')
        .select('osPlatform')
        .where('connectorId', '=', a.id)
        .execute();
      expect(left.some((p) => p.osPlatform === 'iOS')).toBe(false);
      expect(left.length).toBe(inA - r.profilesRemoved);
      expect(await storedMemberships(db.store, a.id)).toEqual(await expectedMemberships(db.store, a.id));

      const reported = Number(
        (
          await db.store.db
            .selectFrom('hostSources')
            .select((eb) => eb.fn.count<string | number>('hostId').distinct().as('n'))
            .where('connectorId', '=', b.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
      const hostsBefore = await count(db.store, 'hosts');
      await new ConnectorRepository(db.store, TEST_SECRETS).remove(a.id);
      expect(await count(db.store, 'profiles', a.id)).toBe(0);
      expect(await count(db.store, 'hostProfiles', a.id)).toBe(0);
      expect(await count(db.store, 'profiles', b.id)).toBeGreaterThan(0);
      // The imported endpoints are retained; those no connector reports say so.
      expect(await count(db.store, 'hosts')).toBe(hostsBefore);
      const retained = await db.store.db
        .selectFrom('hosts')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('status', '=', 'retained')
        .executeTakeFirstOrThrow();
      expect(Number(retained.n)).toBe(hostsBefore - reported);
      expect(hostsBefore - reported).toBeGreaterThan(0);
      expect(await storedMemberships(db.store, b.id)).toEqual(await expectedMemberships(db.store, b.id));
    } finally {
      await db.drop();
    }
  });
});
