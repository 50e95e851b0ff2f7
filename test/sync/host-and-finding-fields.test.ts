import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportKind } from '../../src/export/export-kinds.js';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { readRecords } from '../../src/export/read-records.js';
import { DATA_TYPES } from '../../src/normalize/connector-options.js';
import { compileQuery } from '../../src/normalize/query/compile-query.js';
import { derivePackageVersions } from '../../src/store/derive/package-versions-step.js';
import { whereFinding } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

type Row = Record<string, unknown>;

async function records(db: TestStore, kind: ExportKind, query?: string): Promise<Row[]> {
  const where = query ? compileQuery(query, QUERY_SPECS[kind]) : undefined;
  const out: Row[] = [];
  for await (const r of readRecords(db.store, kind, where ? { where } : {})) out.push(r);
  return out;
}

/** A package's exported versions are exactly the truth's, each with its number of devices. */
function expectVersions(software: Row, truth: Map<string, Map<string, Set<string>>>): void {
  const versions = software.versions as Array<{ version: string; devices: number }>;
  const expected = truth.get(String(software.id).toLowerCase()) ?? new Map<string, Set<string>>();
  expect(Object.fromEntries(versions.map((v) => [v.version, v.devices])), String(software.id)).toEqual(
    Object.fromEntries([...expected].map(([v, d]) => [v, d.size])),
  );
}

const lower = (v: unknown) => String(v ?? '').toLowerCase();
const key = (r: Row) =>
  [lower(r.deviceId ?? r.machineId), r.softwareVendor, r.softwareName, r.softwareVersion].join('|');
const INSTANCE_TAG = /^\s*instanceid\s*[:=]\s*(.+?)\s*$/i;

/** Package id (`vendor-_-name`, lower-cased) → version → the devices the rows put it on. */
function devicesByVersion(rows: readonly Row[]): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const r of rows) {
    const id = `${String(r.softwareVendor)}-_-${String(r.softwareName)}`.toLowerCase();
    const versions = out.get(id) ?? new Map<string, Set<string>>();
    out.set(id, versions);
    const devices = versions.get(String(r.softwareVersion)) ?? new Set<string>();
    versions.set(String(r.softwareVersion), devices);
    devices.add(lower(r.deviceId));
  }
  return out;
}

/**
 * The machine fields, addresses by reach, instance id, end of support on findings and package versions,
 * end to end: the simulator's tenant, a full sync, the export records and their `--query` fields. The
 * expectations come from the simulator's API answers, read independently of the sync.
 */
describe.each(STORE_KINDS)('host and finding fields from a synced tenant (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let machines: Map<string, Row>;
  let inventory: Row[];
  let singleSource: Set<number>;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300, seed: 21 });
    db = await openTestStore(kind);
    await addConnector(db.store, sim, { dataTypes: [...DATA_TYPES] });
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
    machines = new Map((await sim.allPages('/api/machines?$top=10000')).rows.map((m) => [lower(m.id), m]));
    inventory = (await sim.allPages('/api/machines/SoftwareInventoryByMachine?pageSize=200000')).rows;
    const sources = await db.store.db.selectFrom('hostSources').select(['hostId']).execute();
    const count = new Map<number, number>();
    for (const s of sources) count.set(Number(s.hostId), (count.get(Number(s.hostId)) ?? 0) + 1);
    singleSource = new Set([...count].filter(([, n]) => n === 1).map(([id]) => id));
  });

  /** The machine of a host only one machine record feeds (duplicates joined into one host aside). */
  const machineOf = (h: Row) =>
    singleSource.has(Number(h.id)) ? machines.get(String(h.defenderMachineId)) : undefined;
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  it('exports every machine field on the host as defender<Field>', async () => {
    const hosts = await records(db, 'hosts');
    let withVm = 0;
    for (const h of hosts) {
      const m = machineOf(h);
      if (!m) continue;
      expect(h.defenderOsProcessor).toBe(m.osProcessor ?? null);
      expect(h.defenderVersion).toBe(m.version ?? null);
      expect(h.defenderManagedBy).toBe(m.managedBy ?? null);
      expect(h.defenderManagedByStatus).toBe(m.managedByStatus ?? null);
      expect(h.defenderVmMetadata).toEqual(m.vmMetadata ?? null);
      if (m.vmMetadata) withVm++;
    }
    expect(withVm).toBeGreaterThan(5);
    expect(new Set(hosts.map((h) => h.defenderManagedByStatus))).toEqual(new Set(['Success', 'Unknown']));
  });

  it('splits addresses and DNS names by reach, and filters on them', async () => {
    const hosts = await records(db, 'hosts');
    let publicNic = 0;
    let globalV6 = 0;
    for (const h of hosts) {
      const m = machineOf(h);
      if (!m) continue;
      const nics = ((m.ipAddresses as Row[] | null) ?? []).map((i) => String(i.ipAddress));
      const priv = h.privateIpAddresses as string[];
      const pub = h.publicIpAddresses as string[];
      if (m.lastIpAddress) expect(priv).toContain(m.lastIpAddress);
      const external = String(m.lastExternalIpAddress ?? '');
      if (external.startsWith('203.0.113.')) expect(priv).toContain(external);
      else if (external) expect(pub).toContain(external);
      for (const a of nics) {
        if (a.startsWith('52.')) {
          publicNic++;
          expect(pub).toContain(a);
        } else if (a.startsWith('2a01:')) {
          globalV6++;
          expect(pub).toContain(a);
        } else if (a.startsWith('10.')) expect(priv).toContain(a);
        else {
          // loopback and link-local: in neither list
          expect(a === '127.0.0.1' || a.startsWith('fe80:')).toBe(true);
          expect([...priv, ...pub]).not.toContain(a);
        }
      }
      const name = m.computerDnsName ? String(m.computerDnsName).toLowerCase() : null;
      expect([...(h.privateDnsNames as string[]), ...(h.publicDnsNames as string[])]).toEqual(
        name ? [name] : [],
      );
    }
    expect(publicNic).toBeGreaterThan(0);
    expect(globalV6).toBeGreaterThan(10);

    const withPublicNic = hosts.filter((h) =>
      (h.publicIpAddresses as string[]).some((a) => a.startsWith('52.')),
    );
    expect((await records(db, 'hosts', 'publicIp:52.')).map((h) => h.id)).toEqual(
      withPublicNic.map((h) => h.id),
    );
    const tenNet = hosts.filter((h) => (h.privateIpAddresses as string[]).some((a) => a.startsWith('10.')));
    expect(tenNet.length).toBeGreaterThan(100);
    expect(await records(db, 'hosts', 'privateIp:10.')).toHaveLength(tenNet.length);
    expect(await records(db, 'hosts', 'publicIp:10.')).toHaveLength(0);
  });

  it('takes the instance id from an instanceId tag, else the VM id, and filters on it', async () => {
    const hosts = await records(db, 'hosts');
    let fromTag = 0;
    let fromVm = 0;
    for (const h of hosts) {
      const m = machineOf(h);
      if (!m) continue;
      const tag = ((m.machineTags as string[]) ?? []).map((t) => INSTANCE_TAG.exec(t)?.[1]).find(Boolean);
      const vmId = (m.vmMetadata as Row | null)?.vmId ?? null;
      expect(h.instanceId).toBe(tag ?? vmId);
      if (tag) fromTag++;
      else if (vmId) fromVm++;
    }
    expect(fromTag).toBeGreaterThan(2);
    expect(fromVm).toBeGreaterThan(5);
    const tagged = hosts.find((h) => String(h.instanceId ?? '').startsWith('i-'))!;
    const found = await records(db, 'hosts', `instanceId=${String(tagged.instanceId)}`);
    expect(found.map((h) => h.id)).toEqual([tagged.id]);
    expect((await records(db, 'hosts', 'instanceId:i-')).map((h) => h.id)).toEqual(
      hosts.filter((h) => String(h.instanceId ?? '').startsWith('i-')).map((h) => h.id),
    );
  });

  it('filters on each Defender host field: external IP, agent version, RBAC group id, risk, AAD', async () => {
    const hosts = await records(db, 'hosts');
    const sample = hosts.find(
      (h) => h.defenderAgentVersion && h.defenderAadDeviceId && h.defenderIsAadJoined,
    )!;
    expect(sample).toBeDefined();
    const cases: Array<[string, (h: Row) => boolean]> = [
      [
        `externalIp=${String(sample.defenderLastExternalIpAddress)}`,
        (h) => h.defenderLastExternalIpAddress === sample.defenderLastExternalIpAddress,
      ],
      [
        `agentVersion=${String(sample.defenderAgentVersion)}`,
        (h) => h.defenderAgentVersion === sample.defenderAgentVersion,
      ],
      [
        `rbacGroupId=${String(sample.defenderRbacGroupId)}`,
        (h) => h.defenderRbacGroupId === sample.defenderRbacGroupId,
      ],
      ['defenderRisk>=medium', (h) => ['Medium', 'High'].includes(String(h.defenderRiskScore))],
      ['aadJoined:true', (h) => h.defenderIsAadJoined === true],
      ['aadJoined:false', (h) => h.defenderIsAadJoined === false],
      [
        `aadDeviceId=${String(sample.defenderAadDeviceId)}`,
        (h) => h.defenderAadDeviceId === sample.defenderAadDeviceId,
      ],
    ];
    for (const [query, expected] of cases) {
      const want = hosts.filter(expected).map((h) => h.id);
      expect(want.length, query).toBeGreaterThan(0);
      expect(
        (await records(db, 'hosts', query)).map((h) => h.id),
        query,
      ).toEqual(want);
    }
  });

  it("shows each finding's end of support from the software inventory, and filters on it", async () => {
    const byInstall = new Map(inventory.map((r) => [key(r), r]));
    const findings = await records(db, 'findings');
    let withStatus = 0;
    let withDate = 0;
    for (const f of findings) {
      const install = byInstall.get(key(f));
      expect(f.endOfSupportStatus).toBe(install?.endOfSupportStatus ?? null);
      const date = install?.endOfSupportDate;
      if (date) {
        withDate++;
        expect(Date.parse(String(f.endOfSupportDate))).toBe(Date.parse(String(date)));
      } else expect(f.endOfSupportDate).toBeNull();
      if (f.endOfSupportStatus && f.endOfSupportStatus !== 'None') withStatus++;
    }
    expect(withStatus).toBeGreaterThan(0);
    expect(withDate).toBeGreaterThan(0);
    const eos = await records(db, 'findings', 'endOfSupport:"EOS Version"');
    expect(eos.length).toBe(findings.filter((f) => f.endOfSupportStatus === 'EOS Version').length);
  });

  it('filters findings on security update, recommendation and disk or registry path', async () => {
    const findings = await records(db, 'findings');
    const withRec = findings.find((f) => f.recommendationReference)!;
    const withDisk = findings.find((f) => (f.diskPaths as string[]).length > 0)!;
    const withRegistry = findings.find((f) => (f.registryPaths as string[]).length > 0)!;
    const disk = (withDisk.diskPaths as string[])[0]!;
    const registry = (withRegistry.registryPaths as string[])[0]!;
    const paths = (f: Row) => [...(f.diskPaths as string[]), ...(f.registryPaths as string[])].map(lower);
    const cases: Array<[string, (f: Row) => boolean]> = [
      ['securityUpdate:true', (f) => f.securityUpdateAvailable === true],
      ['securityUpdate:false', (f) => f.securityUpdateAvailable === false],
      [
        `recommendation=${String(withRec.recommendationReference)}`,
        (f) => f.recommendationReference === withRec.recommendationReference,
      ],
      // In quotes a backslash keeps the next character, so a Windows path doubles its backslashes.
      [`path="${disk.replaceAll('\\', '\\\\')}"`, (f) => paths(f).includes(lower(disk))],
      [
        `path:"${registry.slice(0, 12).replaceAll('\\', '\\\\')}"`,
        (f) => paths(f).some((p) => p.startsWith(lower(registry.slice(0, 12)))),
      ],
    ];
    for (const [query, expected] of cases) {
      const want = findings.filter(expected).map((f) => f.id);
      expect(want.length, query).toBeGreaterThan(0);
      expect(
        (await records(db, 'findings', query)).map((f) => f.id),
        query,
      ).toEqual(want);
    }
  });

  it('lists each package’s installed versions with their device counts, from the inventory', async () => {
    const truth = devicesByVersion(inventory);
    const software = await records(db, 'software');
    let multi = 0;
    for (const s of software) {
      expectVersions(s, truth);
      if ((s.versions as unknown[]).length > 1) multi++;
    }
    expect(multi).toBeGreaterThan(5);
    const one = software.find((s) => (s.versions as unknown[]).length > 1)!;
    const version = (one.versions as Array<{ version: string }>)[0]!.version;
    const found = await records(db, 'software', `version="${version}"`);
    expect(found.map((s) => s.id)).toContain(one.id);
    for (const s of found)
      expect(
        (s.versions as Array<{ version: string }>).some((v) => lower(v.version) === lower(version)),
      ).toBe(true);
  });
});

describe('package versions without the software inventory', () => {
  it('come from the open findings: the vulnerable installs of each version', async () => {
    const sim = await startTestSimulator({ devices: 200, seed: 22 });
    const db = await openTestStore('sqlite');
    try {
      const connector = await addConnector(db.store, sim);
      expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
      const rows = (await sim.allPages('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=200000'))
        .rows;
      const truth = devicesByVersion(rows.filter((r) => r.cveId));
      let listed = 0;
      for (const s of await records(db, 'software')) {
        expectVersions(s, truth);
        listed += (s.versions as unknown[]).length;
      }
      expect(listed).toBeGreaterThan(5);

      // Nothing changed since the last derivation: the next one skips the scan of findings and
      // writes nothing ...
      const versionsOf = async () =>
        (await db.store.db.selectFrom('software').select(['id', 'versions']).orderBy('id').execute()).map(
          (r) => r.versions,
        );
      const derived = await versionsOf();
      const minutesLater = (n: number) => new Date(sim.sim.state.clock.now() + n * 60_000).toISOString();
      expect(await derivePackageVersions(db.store, connector.id, minutesLater(1))).toBeGreaterThan(0);
      await db.store.db.updateTable('software').set({ versions: '[]' }).execute();
      expect(await derivePackageVersions(db.store, connector.id, minutesLater(2))).toBe(0);
      expect(new Set(await versionsOf())).toEqual(new Set(['[]']));
      // ... and a finding changed after it brings the scan back.
      const one = await db.store.db
        .selectFrom('findings')
        .select(['connectorId', 'deviceId', 'softwareId', 'cveId'])
        .limit(1)
        .executeTakeFirstOrThrow();
      await db.store.db
        .updateTable('findings')
        .set({ updatedAt: minutesLater(3) })
        .where(whereFinding(one))
        .execute();
      expect(await derivePackageVersions(db.store, connector.id, minutesLater(4))).toBeGreaterThan(0);
      expect(await versionsOf()).toEqual(derived);
    } finally {
      await db.drop();
      await sim.close();
    }
  });
});
