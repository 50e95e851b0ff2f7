import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { presentRecord } from '../../src/export/present-record.js';
import { FINDING_COLUMNS, type FindingColumn } from '../../src/normalize/finding-columns.js';
import type { NormalizedFinding } from '../../src/normalize/model.js';
import {
  contentColumns,
  FINDING_SQL_COLUMNS,
  LIFECYCLE_COLUMNS,
  newFindingColumns,
  PACKED_COLUMNS,
  packedText,
  REAL_COLUMNS,
  REWRITTEN_COLUMNS,
  SNAPSHOT_ROW_COLUMNS,
  sqlColumn,
  storedValue,
} from '../../src/store/findings/finding-columns.js';
import {
  FINDING_RECORD_FIELDS,
  FINDING_STORED_FIELDS,
  selectFindings,
  unpackFindings,
} from '../../src/store/findings/finding-repository.js';
import { FindingWriter } from '../../src/store/findings/finding-writer.js';
import { ROW } from '../../src/store/findings/snapshot-row-codec.js';
import { openSnapshotSession } from '../../src/store/findings/snapshot-session.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { insertFindingRecords } from '../helpers/finding-records.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { sampleFinding } from '../helpers/sample-finding.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/**
 * Every column list the writers and the findings repository use comes from the one description: a
 * column added to it (plus its migration) reaches the codec, both databases' inserts and updates, the
 * packed text and what readers see, and is checked here without a change to this file.
 */
const ALL: readonly FindingColumn[] = FINDING_COLUMNS;
const names = (cs: readonly { column: string }[]) => cs.map((c) => c.column);
const storage = (c: FindingColumn) =>
  c.from === 'finding' ? c.storage : c.from === 'host' ? 'column' : 'column';

describe('the findings column description', () => {
  it('derives every column list in description order', () => {
    const real = ALL.filter((c) => storage(c) === 'column');
    expect(names(REAL_COLUMNS)).toEqual(names(real));
    // The table: the ids of the key, the real columns and one packed text.
    expect(FINDING_SQL_COLUMNS).toEqual(['device_id', 'software_id', ...real.map(sqlColumn), 'packed']);
    expect(names(PACKED_COLUMNS)).toEqual(names(ALL.filter((c) => storage(c) === 'packed')));
    // A snapshot row carries what is stored as a column or an id, then the packed text.
    const carried = ALL.filter(
      (c) => c.from !== 'lifecycle' && storage(c) !== 'packed' && storage(c) !== 'derived',
    );
    expect(names(SNAPSHOT_ROW_COLUMNS)).toEqual(names(carried));
    expect(Object.entries(ROW).sort((a, b) => a[1] - b[1])).toEqual([
      ...SNAPSHOT_ROW_COLUMNS.map((c, i) => [c.column, i]),
      ['packed', SNAPSHOT_ROW_COLUMNS.length],
    ]);
    expect(names(REWRITTEN_COLUMNS)).toEqual(
      names(real.filter((c) => c.from === 'host' || (c.from === 'finding' && c.rewrite))),
    );
    expect(names(LIFECYCLE_COLUMNS)).toEqual(names(ALL.filter((c) => c.from === 'lifecycle')));
    // Readers see every described column, whatever its storage.
    expect(FINDING_RECORD_FIELDS).toEqual(names(ALL));
    // A new finding is inserted with its ids, every real column and the packed text; a changed one
    // rewrites its content and the packed text.
    const f = sample('m1', 'CVE-1');
    const ctx = { connectorId: 1, seenToken: 2, at: 'now', hostIdOf: () => 5 };
    const inserted = newFindingColumns(ctx, f, 'then', { deviceId: 3, softwareId: 4 });
    expect(Object.keys(inserted).sort()).toEqual(['deviceId', 'softwareId', ...names(real), 'packed'].sort());
    expect(Object.keys(contentColumns(ctx, f))).toEqual([...names(REWRITTEN_COLUMNS), 'packed']);
    expect(JSON.parse(packedText(f))).toEqual(
      Object.fromEntries(PACKED_COLUMNS.map((c) => [c.column, JSON.parse(JSON.stringify(f[c.field]))])),
    );
  });

  it('stores each model field as its column type says', () => {
    expect(storedValue('flag', true)).toBe(1);
    expect(storedValue('flag', false)).toBe(0);
    expect(storedValue('flag', null)).toBe(null);
    expect(storedValue('paths', ['a'])).toBe('["a"]');
    expect(storedValue('json', { a: 1 })).toBe('{"a":1}');
    expect(storedValue('custom', {})).toBe('{}');
    expect(storedValue('text', null)).toBe(null);
  });
});

/** A finding of `machine` and `cve` with a value in every field (the stored round trip checks each). */
function sample(machine: string, cve: string, overrides: Partial<NormalizedFinding> = {}): NormalizedFinding {
  return sampleFinding({
    machineId: machine,
    findingKey: `${machine}|${cve}|v|p|1`,
    cveId: cve,
    softwareName: 'p',
    softwareVersion: '1',
    name: `v p 1 ${cve}`,
    score: 75.5,
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-05T00:00:00.000Z',
    securityUpdateAvailable: false,
    diskPaths: ['C:\\p.exe'],
    registryPaths: ['HKLM\\p'],
    recommendationReference: 'va-_-v-_-p',
    cvssScore: 8.5,
    extra: { kept: 'yes' },
    customAttributes: { tier: 'gold' },
    contentHash: `hash-${cve}`,
    ...overrides,
  });
}

/** Another value of every described field of `f`, of the same type. */
function changed(f: NormalizedFinding): NormalizedFinding {
  return sample(f.machineId, f.cveId, {
    sourceSeverity: 'Critical',
    severity: 5,
    score: 99.25,
    securityUpdateAvailable: true,
    recommendedSecurityUpdate: 'KB2',
    recommendedSecurityUpdateId: '2',
    recommendedSecurityUpdateUrl: 'https://example.com/kb2',
    diskPaths: ['D:\\q.exe', 'E:\\r.exe'],
    registryPaths: [],
    exploitabilityLevel: 'ExploitIsPublic',
    recommendationReference: 'va-_-w',
    rbacGroupId: 4,
    rbacGroupName: 'other',
    cvssScore: 9.5,
    extra: { kept: 'changed' },
    customAttributes: { tier: 'silver' },
    contentHash: `${f.contentHash}-changed`,
  });
}

const T1 = '2026-11-01T00:00:00.000Z';
const T2 = '2026-11-02T00:00:00.000Z';

describe.each(STORE_KINDS)('findings columns on %s', (kind) => {
  let t: TestStore;
  let connectorId: number;
  let hosts: number[];
  beforeEach(async () => {
    t = await openTestStore(kind);
    connectorId = await addOfflineConnector(t.store, 'c');
    hosts = [];
    for (const key of ['h1', 'h2']) {
      const row = await t.store.db
        .insertInto('hosts')
        .values({
          identityKey: key,
          name: key,
          ipAddresses: '[]',
          macAddresses: '[]',
          status: 'active',
          network: 'c',
          tags: '[]',
          customAttributes: '{}',
          createdAt: T1,
          updatedAt: T1,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      hosts.push(Number(row.id));
    }
  });
  afterEach(async () => {
    await t.drop();
  });

  it('has the described columns, no others, in a freshly migrated store', async () => {
    const { rows } =
      kind === 'sqlite'
        ? await sql<{ name: string }>`SELECT name FROM pragma_table_info('findings')`.execute(t.store.db)
        : await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
            WHERE table_name = 'findings' AND table_schema = current_schema()`.execute(t.store.db);
    expect(rows.map((r) => r.name).sort()).toEqual([...FINDING_SQL_COLUMNS].sort());
  });

  /** The stored row of `f` holds each described field as its column type says, and the host. */
  async function expectStored(f: NormalizedFinding, hostId: number): Promise<void> {
    const row = (await selectFindings(t.store)
      .selectAll()
      .where('findingKey', '=', f.findingKey)
      .executeTakeFirstOrThrow()) as Record<string, unknown>;
    const expected: Record<string, unknown> = {};
    const actual: Record<string, unknown> = {};
    for (const c of ALL) {
      if (c.from === 'lifecycle') continue;
      expected[c.column] = c.from === 'host' ? hostId : storedValue(c.type, f[c.field]);
      actual[c.column] =
        typeof row[c.column] === 'string' || row[c.column] === null ? row[c.column] : Number(row[c.column]);
    }
    expect(actual).toEqual(expected);
    await expectUnpackedAsRead(f.findingKey);
  }

  /**
   * The finding read as its stored fields with the packed text unpacked in JavaScript, as whole
   * records are read, is the record that reading each field in SQL gives, field for field and in order.
   */
  async function expectUnpackedAsRead(findingKey: string): Promise<void> {
    const { packed: _packed, ...read } = (await selectFindings(t.store)
      .selectAll()
      .where('findingKey', '=', findingKey)
      .executeTakeFirstOrThrow()) as Record<string, unknown>;
    const stored = (await selectFindings(t.store)
      .select(FINDING_STORED_FIELDS as never)
      .where('findingKey', '=', findingKey)
      .execute()) as Record<string, unknown>[];
    const [unpacked] = unpackFindings(stored);
    expect(Object.keys(unpacked!)).toEqual(Object.keys(read));
    expect(presentRecord(unpacked!)).toEqual(presentRecord(read));
  }

  it.each([true, false])(
    'a snapshot session (first load: %s) inserts, then rewrites, every described column',
    async (firstLoad) => {
      const pass = async (token: number, time: string, f: NormalizedFinding, hostId: number) => {
        const session = openSnapshotSession(
          t.store,
          new HostWriter(t.store),
          {
            connectorId,
            seenToken: token,
            at: time,
            hostIdOf: () => hostId,
            firstLoad: firstLoad && token === 1,
          },
          time,
        );
        session.add(f);
        await session.flush({ scanned: [], checkpoint: { stream: 's', value: token }, at: time }, () => {});
        await session.close();
      };
      const f = sample('m1', 'CVE-1');
      await pass(1, T1, f, hosts[0]!);
      await expectStored(f, hosts[0]!);
      const g = changed(f);
      await pass(2, T2, g, hosts[1]!);
      // The first-found time is the finding's, kept from its first write.
      await expectStored({ ...g, firstSeen: f.firstSeen }, hosts[1]!);
    },
  );

  it('reads packed fields a row was written without as null, unpacked or read in SQL', async () => {
    await insertFindingRecords(t.store, [
      {
        connectorId,
        machineId: 'm3',
        findingKey: 'm3|CVE-3|v|p|1',
        cveId: 'CVE-3',
        softwareVendor: 'v',
        softwareName: 'p',
        softwareVersion: '1',
        hostId: hosts[0]!,
        name: 'v p 1 CVE-3',
        severity: 3,
        score: 50,
        status: 'open',
        firstFound: T1,
        lastFound: T1,
        stateTime: T1,
        reopenedCount: 0,
        contentHash: '',
        seenRunId: 0,
        updatedAt: T1,
      },
    ]);
    // A row stored before any of its packed fields existed.
    await t.store.db.updateTable('findings').set({ packed: '{}' }).execute();
    await expectUnpackedAsRead('m3|CVE-3|v|p|1');
    const [unpacked] = unpackFindings(
      (await selectFindings(t.store)
        .select(FINDING_STORED_FIELDS as never)
        .execute()) as Record<string, unknown>[],
    );
    for (const c of PACKED_COLUMNS) expect(unpacked![c.column]).toBeNull();
  });

  it('the change feed inserts, then rewrites, every described column', async () => {
    const writer = new FindingWriter(t.store);
    const apply = async (f: NormalizedFinding, status: 'New' | 'Updated', time: string, hostId: number) =>
      writer.applyChangeBatch(
        { connectorId, seenToken: 1, at: time, hostIdOf: () => hostId },
        [{ finding: f, event: { status, time, rbacGroupId: f.rbacGroupId, contentHash: f.contentHash } }],
        { stream: 'delta', value: time },
      );
    const f = sample('m2', 'CVE-2', { firstSeen: null });
    await apply(f, 'New', T1, hosts[0]!);
    // A finding MDE gives no first-seen time for was first found by the event that created it.
    await expectStored({ ...f, firstSeen: T1 }, hosts[0]!);
    const g = changed(f);
    await apply(g, 'Updated', T2, hosts[1]!);
    await expectStored({ ...g, firstSeen: T1 }, hosts[1]!);
  });
});
