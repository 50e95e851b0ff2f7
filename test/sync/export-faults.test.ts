import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportEndpoint } from '../../src/mde/export/export-request.js';
import { EXPORT_REQUESTS } from '../../src/mde/export/export-snapshot-reader.js';
import { FAULT_KINDS, type FaultKind } from '../../src/simulator/http/faults.js';
import type { Store } from '../../src/store/db/store.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import type { SyncResult } from '../../src/sync/run-sync.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/**
 * Every fault the simulator can inject, against every stream that reads export files, on both
 * databases. Each case first moves the simulated clock to a new snapshot, so a pass that trusted a
 * broken read would have something to close or mark removed. A fault the reader recovers from gives a
 * `succeeded` run with the data a run without the fault stores; a fault that loses data gives a
 * `partial` run (exit 3) that closes and removes nothing, and the next run completes.
 */

/** What a fault must lead to. */
type Expect = 'recovered' | 'lost';

interface FaultCase {
  name: string;
  kind: FaultKind;
  /** `files`: the stream's export files; `request`: its export request. */
  target: 'files' | 'request';
  /** Only this file (0-based) of the first export; all of them when absent. */
  file?: number;
  /** The export of the stream to hit (installed software reads two): 0 the first, 1 the second. */
  exportIndex?: 0 | 1;
  /** Faulted requests; absent means every matching request, for as long as the run lasts. */
  count?: number;
  param?: number;
  expect: Expect;
}

const CASES: FaultCase[] = [
  // On the export files.
  { name: 'a 429 storm, twice', kind: '429', target: 'files', count: 2, param: 0, expect: 'recovered' },
  { name: 'a file that answers only 429', kind: '429', target: 'files', file: 1, param: 0, expect: 'lost' },
  { name: 'a 5xx burst', kind: '5xx', target: 'files', count: 3, param: 503, expect: 'recovered' },
  { name: 'a file that answers only 5xx', kind: '5xx', target: 'files', file: 1, param: 500, expect: 'lost' },
  { name: 'connection resets', kind: 'reset', target: 'files', count: 3, expect: 'recovered' },
  { name: 'a file whose downloads all reset', kind: 'reset', target: 'files', file: 1, expect: 'lost' },
  { name: 'a slow body', kind: 'slow', target: 'files', count: 1, param: 300, expect: 'recovered' },
  { name: 'every body slow', kind: 'slow', target: 'files', param: 50, expect: 'recovered' },
  { name: 'a body cut half-way', kind: 'cut-body', target: 'files', count: 2, expect: 'recovered' },
  { name: 'a file always cut half-way', kind: 'cut-body', target: 'files', file: 1, expect: 'lost' },
  { name: 'an expired link', kind: 'expired-link', target: 'files', count: 1, expect: 'recovered' },
  { name: 'links that stay expired', kind: 'expired-link', target: 'files', expect: 'lost' },
  { name: 'a truncated gzip, once', kind: 'truncated-gzip', target: 'files', count: 1, expect: 'recovered' },
  { name: 'a truncated gzip, twice', kind: 'truncated-gzip', target: 'files', count: 2, expect: 'recovered' },
  { name: 'a file that stays truncated', kind: 'truncated-gzip', target: 'files', file: 1, expect: 'lost' },
  { name: 'a 0-byte file, once', kind: 'empty-file', target: 'files', count: 1, expect: 'recovered' },
  { name: 'one file that stays 0 bytes', kind: 'empty-file', target: 'files', file: 0, expect: 'lost' },
  { name: 'every file 0 bytes', kind: 'empty-file', target: 'files', expect: 'lost' },
  {
    name: 'every file of the second export 0 bytes',
    kind: 'empty-file',
    target: 'files',
    exportIndex: 1,
    expect: 'lost',
  },
  { name: 'malformed records', kind: 'malformed-records', target: 'files', count: 1, expect: 'lost' },
  // Kinds that only touch API requests: a download never meets them.
  { name: 'tokens revoked', kind: 'revoke-tokens', target: 'files', count: 1, expect: 'recovered' },
  { name: 'a looping nextLink', kind: 'loop-nextlink', target: 'files', expect: 'recovered' },
  { name: 'a malformed nextLink', kind: 'malformed-nextlink', target: 'files', expect: 'recovered' },
  { name: 'a missing nextLink', kind: 'missing-nextlink', target: 'files', expect: 'recovered' },

  // On the export request.
  { name: 'a 429 storm', kind: '429', target: 'request', count: 2, param: 0, expect: 'recovered' },
  { name: 'a 5xx burst', kind: '5xx', target: 'request', count: 3, param: 503, expect: 'recovered' },
  { name: 'nothing but 5xx', kind: '5xx', target: 'request', param: 503, expect: 'lost' },
  { name: 'a reset', kind: 'reset', target: 'request', count: 2, expect: 'recovered' },
  { name: 'a slow answer', kind: 'slow', target: 'request', count: 1, param: 200, expect: 'recovered' },
  { name: 'an answer cut half-way', kind: 'cut-body', target: 'request', count: 1, expect: 'recovered' },
  { name: 'tokens revoked', kind: 'revoke-tokens', target: 'request', count: 1, expect: 'recovered' },
  {
    name: 'an answer without generatedTime',
    kind: 'malformed-records',
    target: 'request',
    count: 1,
    expect: 'lost',
  },
  // Not paged, so nextLink faults change nothing; blob faults never reach an API request.
  { name: 'a looping nextLink', kind: 'loop-nextlink', target: 'request', expect: 'recovered' },
  { name: 'a malformed nextLink', kind: 'malformed-nextlink', target: 'request', expect: 'recovered' },
  { name: 'a missing nextLink', kind: 'missing-nextlink', target: 'request', expect: 'recovered' },
  { name: 'an expired link', kind: 'expired-link', target: 'request', count: 1, expect: 'recovered' },
  { name: 'a truncated gzip', kind: 'truncated-gzip', target: 'request', count: 1, expect: 'recovered' },
  { name: 'a 0-byte file', kind: 'empty-file', target: 'request', count: 1, expect: 'recovered' },
];

/** What a stream stored, as far as these tests compare it. */
interface StreamData {
  /** Open findings, or present installed software. */
  live: string[];
  /** Closed (fixed) findings, or removed installed software. */
  gone: number;
  /** Every row with its status and content, to compare two stores of the same snapshot. */
  rows: string[];
}

interface ExportStream {
  stream: string;
  /** Blob folder and export request of each export the stream reads. */
  exports: Array<{ blob: string; endpoint: ExportEndpoint }>;
  data(store: Store, connectorId: number): Promise<StreamData>;
}

const STREAMS: ExportStream[] = [
  {
    stream: 'vulnerabilities',
    exports: [{ blob: 'vulnerabilities', endpoint: 'SoftwareVulnerabilitiesExport' }],
    async data(store, connectorId) {
      const rows = await selectFindings(store)
        .select(['findingKey', 'status'])
        .where('connectorId', '=', connectorId)
        .execute();
      return {
        live: await openFindingKeys(store, connectorId),
        gone: rows.filter((r) => r.status !== 'open').length,
        rows: rows.map((r) => `${r.findingKey}|${r.status}`).sort(),
      };
    },
  },
  {
    stream: 'installed-software',
    exports: [
      { blob: 'inventory', endpoint: 'SoftwareInventoryExport' },
      { blob: 'noncpe', endpoint: 'SoftwareInventoryNonCpeExport' },
    ],
    async data(store, connectorId) {
      const rows = await store.db
        .selectFrom('installedSoftware')
        .select(['installKey', 'kind', 'status', 'contentHash'])
        .where('connectorId', '=', connectorId)
        .execute();
      return {
        live: rows
          .filter((r) => r.status === 'present')
          .map((r) => `${r.kind}|${r.installKey}`)
          .sort(),
        gone: rows.filter((r) => r.status === 'removed').length,
        rows: rows.map((r) => `${r.kind}|${r.installKey}|${r.status}|${r.contentHash}`).sort(),
      };
    },
  },
];

it('the table runs every fault kind on the export files and on the export request', () => {
  for (const target of ['files', 'request'] as const) {
    const kinds = new Set(CASES.filter((c) => c.target === target).map((c) => c.kind));
    expect([...kinds].sort(), target).toEqual([...FAULT_KINDS].sort());
  }
});

describe.each(STORE_KINDS)('export streams under every fault (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 40, seed: 11, devicesPerFile: 15 });
  });
  afterAll(() => sim.close());

  describe.each(STREAMS)('$stream', (target) => {
    let db: TestStore;
    let connectorId: number;
    beforeAll(async () => {
      db = await openTestStore(kind);
      connectorId = (await addConnector(db.store, sim, { dataTypes: [target.stream as 'vulnerabilities'] }))
        .id;
      const first = await sync(db.store, sim, 'full');
      expect(first.state, first.error ?? '').toBe('succeeded');
    });
    afterAll(() => db.drop());

    const exportRequests = (endpoint: string) => sim.sim.state.stats.byBucket[endpoint] ?? 0;

    const cases = CASES.filter((c) => (c.exportIndex ?? 0) < target.exports.length);
    it.each(cases)('$target: $name ($kind) is $expect', async (fault) => {
      await sim.admin('DELETE', '/faults');
      // A new snapshot, so the faulted run has one to read and something it could close wrongly.
      await sim.advanceHours(6);
      const epoch = (await sim.admin('GET', '/clock')).epoch as number;
      const hit = target.exports[fault.exportIndex ?? 0]!;
      const file = fault.file === undefined ? '' : `part-${String(fault.file).padStart(5, '0')}`;
      const path = fault.target === 'files' ? `/blob/tvm-export/${hit.blob}/${epoch}/${file}` : hit.endpoint;
      const before = await target.data(db.store, connectorId);
      const requestsBefore = exportRequests(hit.endpoint);
      await sim.fault({
        kind: fault.kind,
        path,
        count: fault.count ?? 100_000,
        ...(fault.param !== undefined ? { param: fault.param } : {}),
      });

      const faulted = await sync(db.store, sim, 'full');
      await sim.admin('DELETE', '/faults');
      const counters = faulted.counters[target.stream]!;
      const after = await target.data(db.store, connectorId);
      // However the links fail, one pass asks for an export a bounded number of times.
      expect(exportRequests(hit.endpoint) - requestsBefore).toBeLessThanOrEqual(EXPORT_REQUESTS);

      if (fault.expect === 'lost') {
        expect(faulted.state, explain(faulted)).toBe('partial');
        expect(counters.outcome).not.toBe('complete');
        expect(counters.closed).toBe(0);
        // Nothing live before the run is gone after it; rows new in the files read may have landed.
        expect(before.live.filter((k) => !after.live.includes(k))).toEqual([]);
        expect(after.gone).toBe(before.gone);
        const next = await sync(db.store, sim, 'full');
        expect(next.state, explain(next)).toBe('succeeded');
      } else {
        expect(faulted.state, explain(faulted)).toBe('succeeded');
        expect(counters.outcome).toBe('complete');
      }
      await expectSameAsWithoutFaults(db.store, target, connectorId);
    });

    /** The store holds exactly what a run without faults stores for the current snapshot. */
    async function expectSameAsWithoutFaults(store: Store, stream: ExportStream, id: number) {
      if (stream.stream === 'vulnerabilities') {
        expect(await openFindingKeys(store, id)).toEqual(await truthFindingKeys(sim));
        return;
      }
      // There is no ground truth of installed software: a clean run of the same snapshot must find
      // nothing to insert, change or remove.
      const stored = await stream.data(store, id);
      const again = await sync(store, sim, 'full');
      const c = again.counters[stream.stream]!;
      expect(again.state, explain(again)).toBe('succeeded');
      expect({ inserted: c.inserted, updated: c.updated, closed: c.closed }).toEqual({
        inserted: 0,
        updated: 0,
        closed: 0,
      });
      expect((await stream.data(store, id)).rows).toEqual(stored.rows);
    }
  });
});

function explain(result: SyncResult): string {
  return JSON.stringify({ error: result.error, counters: result.counters });
}
