import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MachineSchema } from '../../src/mde/schemas/machine.js';
import {
  IDENTIFICATION_RULES,
  type IdentificationRule,
  type IdentificationRuleName,
} from '../../src/normalize/identification-rules.js';
import { normalizeMachine } from '../../src/normalize/normalize-machine.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { type HostBatchResult, HostWriter } from '../../src/store/hosts/host-writer.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** A Defender machine as MDE sends it; every field not given is absent. */
function device(id: string, fields: Record<string, unknown> = {}) {
  return normalizeMachine(
    MachineSchema.parse({
      id: id.padEnd(40, '0'),
      lastSeen: '2026-11-01T00:00:00Z',
      osPlatform: 'Windows11',
      ...fields,
    }),
  );
}

const only = (...names: IdentificationRuleName[]): IdentificationRule[] =>
  names.map((rule) => ({ rule, enabled: true }));
const allBut = (...names: IdentificationRuleName[]): IdentificationRule[] =>
  IDENTIFICATION_RULES.filter((r) => !names.includes(r)).map((rule) => ({ rule, enabled: true }));
const nic = (ipAddress: string, macAddress: string | null) => ({ ipAddress, macAddress, type: 'Ethernet' });

describe.each(STORE_KINDS)('identification rules across connectors (%s)', (kind) => {
  let db: TestStore;
  let store: Store;
  let a: number;
  let b: number;
  beforeEach(async () => {
    db = await openTestStore(kind);
    store = db.store;
    a = await addOfflineConnector(store, 'tenant-a');
    b = await addOfflineConnector(store, 'tenant-b');
  });
  afterEach(() => db.drop());

  async function write(
    connectorId: number,
    machines: ReturnType<typeof device>[],
    rules?: IdentificationRule[],
  ): Promise<HostBatchResult> {
    return new HostWriter(store).writeBatch(
      {
        connectorId,
        runId: 1,
        network: connectorId === a ? 'tenant-a' : 'tenant-b',
        at: '2026-11-03T00:00:00.000Z',
        staleDays: 0,
        now: Date.parse('2026-11-03T00:00:00Z'),
        ...(rules ? { identificationRules: rules } : {}),
      },
      machines,
      { stream: 'machines', value: {} },
    );
  }

  async function hostOf(connectorId: number, machineId: string): Promise<number> {
    const r = await store.db
      .selectFrom('hostSources')
      .select('hostId')
      .where('connectorId', '=', connectorId)
      .where('machineId', '=', machineId.padEnd(40, '0'))
      .executeTakeFirstOrThrow();
    return Number(r.hostId);
  }

  const hostCount = async () =>
    Number(
      (
        await store.db
          .selectFrom('hosts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('one device in two tenants: one host by default, two when only machineId is on', async () => {
    const inA = device('a1', {
      computerDnsName: 'pc1.contoso.com',
      aadDeviceId: '80fe8ff8-2624-418e-9591-41f0491218f9',
      ipAddresses: [nic('10.0.0.5', '001122AABBCC')],
    });
    const inB = device('b1', {
      computerDnsName: 'PC1.contoso.com',
      aadDeviceId: '80FE8FF8-2624-418E-9591-41F0491218F9',
      ipAddresses: [nic('10.0.0.5', '00-11-22-AA-BB-CC')],
    });
    await write(a, [inA]);
    const r = await write(b, [inB]);
    expect(r).toMatchObject({ inserted: 1, matched: 1 });
    expect(await hostOf(b, 'b1')).toBe(await hostOf(a, 'a1'));
    expect(await hostCount()).toBe(1);

    await store.db.deleteFrom('hostSources').where('connectorId', '=', b).execute();
    const again = await write(b, [inB], only('machineId'));
    expect(again.matched ?? 0).toBe(0);
    expect(await hostOf(b, 'b1')).not.toBe(await hostOf(a, 'a1'));
  });

  // Each rule on its own: the two records share only what that rule compares.
  it.each<{
    rule: IdentificationRuleName;
    inA: Record<string, unknown>;
    inB: Record<string, unknown>;
    alsoOff?: IdentificationRuleName[];
  }>([
    { rule: 'machineId', inA: { computerDnsName: 'x.a.com' }, inB: { computerDnsName: 'y.b.com' } },
    {
      rule: 'aadDeviceId',
      inA: { aadDeviceId: '80fe8ff8-2624-418e-9591-41f0491218f9' },
      inB: { aadDeviceId: '80FE8FF8-2624-418E-9591-41F0491218F9' },
    },
    {
      rule: 'fqdn',
      inA: { computerDnsName: 'PC1.Contoso.com' },
      inB: { computerDnsName: 'pc1.contoso.COM' },
      alsoOff: ['hostname'],
    },
    { rule: 'hostname', inA: { computerDnsName: 'KIOSK7' }, inB: { computerDnsName: 'kiosk7.b.com' } },
    {
      rule: 'ipMac',
      inA: { computerDnsName: 'x.a.com', ipAddresses: [nic('10.9.9.9', '0A0B0C0D0E0F')] },
      inB: { computerDnsName: 'y.b.com', ipAddresses: [nic('10.9.9.9', '0a:0b:0c:0d:0e:0f')] },
    },
  ])('$rule alone joins the hosts; without it they stay apart', async ({ rule, inA, inB, alsoOff = [] }) => {
    const idB = rule === 'machineId' ? 'a1' : 'b1';
    await write(a, [device('a1', inA)]);
    expect((await write(b, [device(idB, inB)], only(rule))).matched).toBe(1);
    expect(await hostOf(b, idB)).toBe(await hostOf(a, 'a1'));

    await store.db.deleteFrom('hostSources').where('connectorId', '=', b).execute();
    expect((await write(b, [device(idB, inB)], allBut(rule, ...alsoOff))).matched ?? 0).toBe(0);
    expect(await hostOf(b, idB)).not.toBe(await hostOf(a, 'a1'));
  });

  it('volatile fields alone never merge: a shared IP (other MAC), last IP, all-zero AAD id', async () => {
    const zero = '00000000-0000-0000-0000-000000000000';
    await write(a, [
      device('a1', {
        computerDnsName: 'x.a.com',
        lastIpAddress: '10.1.1.1',
        lastExternalIpAddress: '52.1.1.1',
        aadDeviceId: zero,
        ipAddresses: [nic('10.1.1.1', '0A0B0C0D0E01')],
      }),
    ]);
    const r = await write(
      b,
      [
        device('b1', {
          computerDnsName: 'y.b.com',
          lastIpAddress: '10.1.1.1',
          lastExternalIpAddress: '52.1.1.1',
          aadDeviceId: zero,
          ipAddresses: [nic('10.1.1.1', '0A0B0C0D0E02'), nic('fe80::1', '0A0B0C0D0E01')],
        }),
      ],
      allBut(),
    );
    expect(r.matched ?? 0).toBe(0);
    expect(await hostCount()).toBe(2);
  });

  it('ambiguous: a hostname two hosts share merges nothing; a unique one does', async () => {
    await write(a, [
      device('a1', { computerDnsName: 'iPad' }),
      device('a2', { computerDnsName: 'IPAD' }),
      device('a3', { computerDnsName: 'kiosk-1' }),
    ]);
    const r = await write(
      b,
      [device('b1', { computerDnsName: 'ipad' }), device('b2', { computerDnsName: 'Kiosk-1' })],
      only('hostname'),
    );
    expect(r.matched).toBe(1);
    expect(await hostOf(b, 'b2')).toBe(await hostOf(a, 'a3'));
    const b1 = await hostOf(b, 'b1');
    expect([await hostOf(a, 'a1'), await hostOf(a, 'a2')]).not.toContain(b1);
    expect(await hostCount()).toBe(4);
  });

  it('rule order decides when two rules point at different hosts', async () => {
    const aad = '80fe8ff8-2624-418e-9591-41f0491218f9';
    await write(a, [
      device('a1', { aadDeviceId: aad }),
      device('a2', { computerDnsName: 'pc9.contoso.com' }),
    ]);
    const inB = device('b1', { aadDeviceId: aad, computerDnsName: 'pc9.contoso.com' });
    await write(b, [inB], only('aadDeviceId', 'fqdn'));
    expect(await hostOf(b, 'b1')).toBe(await hostOf(a, 'a1'));
    await store.db.deleteFrom('hostSources').where('connectorId', '=', b).execute();
    await write(b, [inB], only('fqdn', 'aadDeviceId'));
    expect(await hostOf(b, 'b1')).toBe(await hostOf(a, 'a2'));
  });

  it('when two records of a batch want one host, the one placed by the earlier rule gets it', async () => {
    const aad = '80fe8ff8-2624-418e-9591-41f0491218f9';
    await write(a, [device('a1', { aadDeviceId: aad, computerDnsName: 'pc1.contoso.com' })]);
    await write(
      b,
      [device('b1', { computerDnsName: 'pc1.contoso.com' }), device('b2', { aadDeviceId: aad })],
      only('aadDeviceId', 'fqdn'),
    );
    expect(await hostOf(b, 'b2')).toBe(await hostOf(a, 'a1'));
    expect(await hostOf(b, 'b1')).not.toBe(await hostOf(a, 'a1'));
  });

  it("a connector's own records never merge with each other; one host takes one record per batch", async () => {
    await write(a, [
      device('a1', { computerDnsName: 'dup.contoso.com' }),
      device('a2', { computerDnsName: 'dup.contoso.com' }),
      device('a3', { computerDnsName: 'solo.contoso.com' }),
    ]);
    expect(await hostCount()).toBe(3);
    const r = await write(
      b,
      [
        device('b1', { computerDnsName: 'solo.contoso.com' }),
        device('b2', { computerDnsName: 'solo.contoso.com' }),
      ],
      only('fqdn'),
    );
    expect(r.matched).toBe(1);
    const hosts = new Set([await hostOf(a, 'a3'), await hostOf(b, 'b1'), await hostOf(b, 'b2')]);
    expect(hosts.size).toBe(2);
    expect(await hostCount()).toBe(4);
  });

  it('a source keeps its host (no flapping); host fields follow the most recently seen source', async () => {
    await write(a, [device('a1', { computerDnsName: 'pc1.contoso.com', lastSeen: '2026-11-01T00:00:00Z' })]);
    await write(a, [
      device('a2', { computerDnsName: 'other.contoso.com', lastSeen: '2026-11-01T00:00:00Z' }),
    ]);
    await write(b, [device('b1', { computerDnsName: 'pc1.contoso.com', lastSeen: '2026-11-02T00:00:00Z' })]);
    const shared = await hostOf(a, 'a1');
    expect(await hostOf(b, 'b1')).toBe(shared);
    const host = () =>
      store.db.selectFrom('hosts').selectAll().where('id', '=', shared).executeTakeFirstOrThrow();
    expect(await host()).toMatchObject({ lastSeen: '2026-11-02T00:00:00.000Z', network: 'tenant-b' });

    // B's record is renamed to the other host's FQDN: it stays where it is.
    await write(b, [
      device('b1', {
        computerDnsName: 'other.contoso.com',
        osPlatform: 'Linux',
        lastSeen: '2026-11-02T00:00:00Z',
      }),
    ]);
    expect(await hostOf(b, 'b1')).toBe(shared);
    expect(await host()).toMatchObject({ name: 'other.contoso.com', osPlatform: 'Linux' });
    // A reports older data: the host keeps B's fields; then A reports newer data and wins.
    await write(a, [device('a1', { computerDnsName: 'pc1.contoso.com', osPlatform: 'Windows10' })]);
    expect(await host()).toMatchObject({ name: 'other.contoso.com', osPlatform: 'Linux' });
    await write(a, [
      device('a1', {
        computerDnsName: 'pc1.contoso.com',
        osPlatform: 'Windows10',
        lastSeen: '2026-11-03T00:00:00Z',
      }),
    ]);
    expect(await host()).toMatchObject({
      name: 'pc1.contoso.com',
      osPlatform: 'Windows10',
      network: 'tenant-a',
    });
  });

  it('a source that attaches with older data leaves the host as its newer source wrote it', async () => {
    await write(a, [device('a1', { computerDnsName: 'pc1.contoso.com', lastSeen: '2026-11-02T00:00:00Z' })]);
    await write(b, [
      device('b1', {
        computerDnsName: 'PC1.contoso.com',
        osPlatform: 'Linux',
        lastSeen: '2026-11-01T00:00:00Z',
      }),
    ]);
    expect(await hostOf(b, 'b1')).toBe(await hostOf(a, 'a1'));
    const host = await store.db.selectFrom('hosts').selectAll().executeTakeFirstOrThrow();
    expect(host).toMatchObject({ name: 'pc1.contoso.com', osPlatform: 'Windows11', network: 'tenant-a' });
  });

  it("removing a connector leaves shared hosts, rewritten by the remaining source's next sync", async () => {
    await write(a, [
      device('a1', { computerDnsName: 'pc1.contoso.com', lastSeen: '2026-11-02T00:00:00Z' }),
      device('a2', { computerDnsName: 'only-a.contoso.com' }),
    ]);
    const inB = device('b1', { computerDnsName: 'PC1.contoso.com', osPlatform: 'Linux' });
    await write(b, [inB]);
    const shared = await hostOf(a, 'a1');
    await new ConnectorRepository(store, TEST_SECRETS).remove(a, { purgeHosts: true });
    const hosts = await store.db.selectFrom('hosts').selectAll().execute();
    expect(hosts.map((h) => Number(h.id))).toEqual([shared]);
    expect(hosts[0]).toMatchObject({ osPlatform: 'Windows11', network: 'tenant-a' });
    const r = await write(b, [inB]);
    expect(r.updated).toBe(1);
    expect(await store.db.selectFrom('hosts').selectAll().executeTakeFirstOrThrow()).toMatchObject({
      name: 'PC1.contoso.com',
      osPlatform: 'Linux',
      network: 'tenant-b',
    });
  });

  it('identifiers follow a changed record', async () => {
    await write(a, [device('a1', { computerDnsName: 'old.contoso.com' })]);
    await write(a, [device('a1', { computerDnsName: 'new.contoso.com' })]);
    const values = await store.db.selectFrom('hostIdentifiers').select(['kind', 'value']).execute();
    expect(values.filter((v) => v.kind === 'fqdn').map((v) => v.value)).toEqual(['new.contoso.com']);
    await write(b, [device('b1', { computerDnsName: 'old.contoso.com' })]);
    expect(await hostOf(b, 'b1')).not.toBe(await hostOf(a, 'a1'));
  });
});
