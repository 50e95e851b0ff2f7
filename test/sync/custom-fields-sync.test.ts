import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../src/export/read-records.js';
import { writeRecords } from '../../src/export/write-records.js';
import { validateCustomFieldMapping } from '../../src/normalize/custom-fields.js';
import { transformMapRows } from '../../src/normalize/transform-map.js';
import { TransformMapRepository } from '../../src/store/connectors/transform-map-repository.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** Custom field mappings, end to end: mapping → sync → stored custom attributes → exports. */

const field = (entity: string, source: string, type: string, target: string) =>
  validateCustomFieldMapping({ entity, source, type, target });

async function collect(kind: 'hosts' | 'findings', store: TestStore['store'], connectorId: number) {
  const out: Record<string, unknown>[] = [];
  for await (const r of readRecords(store, kind, { connectorId })) out.push(r);
  return out;
}

async function csv(records: Record<string, unknown>[]): Promise<string> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  async function* rows() {
    yield* records;
  }
  await writeRecords(rows(), 'csv', sink);
  return text;
}

const findingKeyOf = (r: Record<string, unknown>) =>
  [String(r.deviceId).toLowerCase(), r.cveId, r.softwareVendor, r.softwareName, r.softwareVersion].join('|');

describe.each(STORE_KINDS)('custom field mappings through a sync (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  let maps: TransformMapRepository;
  let truthMachines: Map<string, Record<string, unknown>>;
  let truthRows: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150, seed: 23 });
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim)).id;
    maps = new TransformMapRepository(db.store);
    truthMachines = new Map((await sim.truthRows('machines')).map((m) => [String(m.id).toLowerCase(), m]));
    truthRows = new Map(
      (await sim.truthRows('vulnerabilities')).filter((r) => r.cveId).map((r) => [findingKeyOf(r), r]),
    );
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  it('without custom fields, hosts and findings store {} (the default map)', async () => {
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const hosts = await db.store.db.selectFrom('hosts').select('customAttributes').execute();
    const findings = await selectFindings(db.store).select('customAttributes').execute();
    expect(hosts.length).toBeGreaterThan(100);
    expect(findings.length).toBeGreaterThan(500);
    expect(new Set([...hosts, ...findings].map((r) => r.customAttributes))).toEqual(new Set(['{}']));
    expect(result.counters.machines!.rejectedFields).toBeUndefined();
  });

  it('adding host and finding custom fields clones the map, and a full sync fills them', async () => {
    expect(await maps.get(connectorId)).toBeUndefined();
    expect(
      await maps.addField(
        connectorId,
        field('host', 'vmMetadata.vmId', 'string', 'customAttributes.vmId'),
        'm',
      ),
    ).toBe(true);
    await maps.addField(
      connectorId,
      field('host', 'onboardingStatus', 'string', 'customAttributes.onboarding'),
      'm',
    );
    await maps.addField(connectorId, field('host', 'rbacGroupId', 'number', 'customAttributes.group'), 'm');
    await maps.addField(connectorId, field('finding', 'osPlatform', 'string', 'customAttributes.os'), 'm');
    await maps.addField(connectorId, field('finding', 'cvssScore', 'number', 'customAttributes.cvss'), 'm');
    // Device names are not numbers: every value fails, is counted, and the sync still succeeds.
    await maps.addField(connectorId, field('finding', 'deviceName', 'number', 'customAttributes.bad'), 'm');
    expect((await maps.get(connectorId))?.fields).toHaveLength(6);

    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const v = result.counters.vulnerabilities!;
    // The same snapshot is read again because the finding custom fields changed.
    expect(v.note ?? '').not.toMatch(/unchanged since/);
    expect(v.rejected).toBe(0);
    const bad = Object.entries(v.rejectedFields ?? {});
    expect(bad).toHaveLength(1);
    expect(bad[0]![0]).toMatch(/^customAttributes\.bad: deviceName is not a number \(e\.g\. "/);
    // Rows without a device name have no value to convert, so no failure either.
    const named = [...truthRows.values()].filter(
      (r) => typeof r.deviceName === 'string' && r.deviceName.trim(),
    );
    expect(bad[0]![1]).toBe(named.length);
    expect(v.updated).toBe(truthRows.size);

    const hosts = await collect('hosts', db.store, connectorId);
    let withVm = 0;
    // Merged hosts are tombstones of folded records (docs/mde-api.md#merged-and-duplicate-devices), and a
    // survivor's host is also written by the records folded into it (host-writer today): compare the hosts of
    // one record only.
    const survivors = new Set(
      [...truthMachines.values()].map((m) => String(m.mergedIntoMachineId ?? '').toLowerCase()),
    );
    const single = hosts.filter(
      (x) =>
        x.status !== 'merged' &&
        !x.defenderMergedIntoMachineId &&
        !survivors.has(String(x.defenderMachineId)),
    );
    expect(single.length).toBeGreaterThan(100);
    for (const h of single) {
      const truth = truthMachines.get(String(h.defenderMachineId))!;
      expect(truth, String(h.defenderMachineId)).toBeDefined();
      const vm = truth.vmMetadata as { vmId?: string } | null;
      if (vm?.vmId) withVm++;
      expect(h.customAttributes).toEqual({
        ...(vm?.vmId ? { vmId: vm.vmId } : {}),
        ...(truth.onboardingStatus ? { onboarding: truth.onboardingStatus } : {}),
        ...(truth.rbacGroupId !== null && truth.rbacGroupId !== undefined
          ? { group: Number(truth.rbacGroupId) }
          : {}),
      });
    }
    expect(withVm).toBeGreaterThan(0);

    const findings = await collect('findings', db.store, connectorId);
    expect(findings.length).toBe(truthRows.size);
    for (const f of findings) {
      const truth = truthRows.get(
        [f.machineId, f.cveId, f.softwareVendor, f.softwareName, f.softwareVersion].join('|'),
      )!;
      expect(f.customAttributes).toEqual({
        os: truth.osPlatform,
        ...(truth.cvssScore !== null && truth.cvssScore !== undefined
          ? { cvss: Number(truth.cvssScore) }
          : {}),
      });
    }

    // The export output carries them (CSV cells hold the JSON object).
    const hostCsv = await csv(hosts);
    expect(hostCsv.split('\r\n')[0]).toContain('customAttributes');
    expect(hostCsv).toContain('""onboarding"":""');
    expect(await csv(findings)).toContain('""os"":""');
  });

  it('a re-sync with the same mappings changes nothing', async () => {
    const result = await sync(db.store, sim, 'full');
    expect(result.counters.machines!.updated).toBe(0);
    const v = result.counters.vulnerabilities!;
    expect(v.note).toMatch(/unchanged since the last full sync/);
  });

  it('the mapping download lists the custom rows after the default ones', async () => {
    const rows = transformMapRows(await maps.customFields(connectorId));
    const text = await csv(rows as unknown as Record<string, unknown>[]);
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('entity,sourceField,dataType,targetField,note,origin');
    expect(lines).toContain(
      'host,vmMetadata.vmId,string,host.customAttributes.vmId,custom field mapping,custom',
    );
    expect(lines).toContain(
      'finding,osPlatform,string,finding.customAttributes.os,custom field mapping,custom',
    );
    expect(lines.filter((l) => l.endsWith(',custom'))).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/,custom$/);
  });

  it('removing one and resetting the map clear the attributes on the next full sync', async () => {
    expect(await maps.removeField(connectorId, 'host', 'customAttributes.vmId')).toBe(true);
    expect(await maps.removeField(connectorId, 'host', 'customAttributes.vmId')).toBe(false);
    let result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const hosts = await db.store.db
      .selectFrom('hosts')
      .select('customAttributes')
      .where('status', '!=', 'merged')
      .execute();
    expect(hosts.some((h) => h.customAttributes.includes('vmId'))).toBe(false);
    expect(hosts.filter((h) => h.customAttributes.includes('onboarding')).length).toBeGreaterThan(100);

    expect(await maps.reset(connectorId)).toBe(true);
    expect(await maps.get(connectorId)).toBeUndefined();
    expect(transformMapRows(await maps.customFields(connectorId)).every((r) => r.origin === 'default')).toBe(
      true,
    );
    result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const v = result.counters.vulnerabilities!;
    expect(v.rejectedFields).toBeUndefined();
    expect(v.updated).toBe(truthRows.size);
    const all = [
      ...(await db.store.db.selectFrom('hosts').select('customAttributes').execute()),
      ...(await selectFindings(db.store).select('customAttributes').execute()),
    ];
    expect(new Set(all.map((r) => r.customAttributes))).toEqual(new Set(['{}']));
  });

  it('a target already mapped is refused; removing the connector removes its map', async () => {
    await maps.addField(connectorId, field('finding', 'osPlatform', 'string', 'customAttributes.os'), 'm');
    await expect(
      maps.addField(connectorId, field('finding', 'osVersion', 'string', 'customAttributes.os'), 'm'),
    ).rejects.toThrow(/--target: finding customAttributes.os is already mapped from osPlatform/);
    // The same name on the other entity is a different attribute.
    await maps.addField(connectorId, field('host', 'osPlatform', 'string', 'customAttributes.os'), 'm');
    expect(await maps.customFields(connectorId)).toHaveLength(2);
    await db.store.db.deleteFrom('connectors').where('id', '=', connectorId).execute();
    expect(await db.store.db.selectFrom('transformMapFields').selectAll().execute()).toEqual([]);
    expect(await db.store.db.selectFrom('transformMaps').selectAll().execute()).toEqual([]);
  });
});
