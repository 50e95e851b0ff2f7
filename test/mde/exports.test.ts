import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExportFileSummary,
  readExportFile,
  readExportFileBatches,
} from '../../src/mde/export/export-file-reader.js';
import { requestExport } from '../../src/mde/export/export-request.js';
import { ExportFileError } from '../../src/mde/mde-errors.js';
import { parseRecord } from '../../src/mde/parse/parse-record.js';
import { VulnerabilityRowSchema } from '../../src/mde/schemas/vulnerability-row.js';
import { rowKey, startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { createKit, type Kit, keyCounts } from './mde-test-kit.js';

async function readAll(kit: Kit, url: string, onDone?: (s: ExportFileSummary) => void) {
  const rows: Record<string, unknown>[] = [];
  const rejected: string[] = [];
  const file = readExportFile(kit.client.transport, url, {
    onRejected: (r) => rejected.push(r),
    sleep: kit.time.sleep,
    ...(onDone ? { onDone } : {}),
  });
  for await (const row of file) rows.push(row);
  return { rows, rejected };
}

describe('via-files exports (300 devices, 80 per file)', () => {
  let sim: TestSimulator;
  let kit: Kit;
  let truth: Map<string, number>;
  let truthRows: number;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300 });
    const rows = await sim.truthRows('vulnerabilities');
    truthRows = rows.length;
    truth = keyCounts(rows, rowKey);
  });
  afterEach(async () => {
    await sim.admin('DELETE', '/faults');
    await kit?.close();
  });
  afterAll(async () => sim?.close());

  it('requests the export and streams every file, equal to the ground truth', async () => {
    kit = await createKit(sim);
    const exported = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport', { sasValidHours: 2 });
    expect(exported.files).toHaveLength(4);
    expect(exported.generatedTime).toBe((await sim.admin('GET', '/clock')).generatedTime);
    const all: Record<string, unknown>[] = [];
    const summaries: ExportFileSummary[] = [];
    for (const url of exported.files) {
      const { rows, rejected } = await readAll(kit, url, (s) => summaries.push({ ...s }));
      expect(rejected).toEqual([]);
      all.push(...rows);
    }
    expect(all).toHaveLength(truthRows);
    expect(keyCounts(all, rowKey)).toEqual(truth);
    // Files keep their PascalCase keys; parseRecord maps them case-insensitively.
    expect(Object.keys(all[0]!)).toContain('DeviceId');
    expect(parseRecord(VulnerabilityRowSchema, all[0]).ok).toBe(true);
    expect(summaries.every((s) => s.bytes > 0)).toBe(true);
    expect(summaries.reduce((n, s) => n + s.records, 0)).toBe(truthRows);
    // One export request went through the client; downloads carry no token and are not API calls.
    expect(kit.client.stats.apiCalls).toBe(1);
  });

  it('yields batches too', async () => {
    kit = await createKit(sim);
    const { files } = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    const sizes: number[] = [];
    for await (const batch of readExportFileBatches(kit.client.transport, files[0]!, { batchSize: 100 })) {
      sizes.push(batch.length);
    }
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.slice(0, -1).every((n) => n === 100)).toBe(true);
  });

  it('reports an expired link as ExportFileError expired, and a fresh request works', async () => {
    kit = await createKit(sim);
    const first = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    await sim.fault({ kind: 'expired-link', path: '/blob/', count: 1 });
    const error = await readAll(kit, first.files[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportFileError);
    expect(error).toMatchObject({ code: 'export-file', reason: 'expired', expired: true, status: 403 });
    expect((error as Error).message).toMatch(/AuthenticationFailed/);
    expect((error as Error).message).not.toMatch(/sig=[^[]/);
    const again = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    expect(again.generatedTime).toBe(first.generatedTime);
    expect((await readAll(kit, again.files[0]!)).rows.length).toBeGreaterThan(0);
  });

  it('notices a link that really expired on the simulated clock', async () => {
    kit = await createKit(sim);
    const exported = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport', { sasValidHours: 1 });
    await kit.clock.advanceMs(61 * 60_000);
    await expect(readAll(kit, exported.files[0]!)).rejects.toMatchObject({
      reason: 'expired',
      expired: true,
    });
  });

  it('fails a truncated file with ExportFileError truncated, and the other files still read', async () => {
    kit = await createKit(sim);
    const { files } = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    await sim.fault({ kind: 'truncated-gzip', path: '/blob/', count: 1 });
    const error = await readAll(kit, files[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportFileError);
    expect(error).toMatchObject({ reason: 'truncated', expired: false, retryable: true });
    const rest = await readAll(kit, files[1]!);
    expect(rest.rows.length).toBeGreaterThan(0);
  });

  it('fails a 0-byte file as ExportFileError empty: a broken download, never an empty file', async () => {
    kit = await createKit(sim);
    const { files } = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    await sim.fault({ kind: 'empty-file', path: '/blob/', count: 1 });
    const error = await readAll(kit, files[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportFileError);
    expect(error).toMatchObject({ reason: 'empty', expired: false, retryable: true });
    expect((error as Error).message).toMatch(/0 bytes/);
    // The same file, downloaded again without the fault, has its rows.
    expect((await readAll(kit, files[0]!)).rows.length).toBeGreaterThan(0);
  });

  it('downloads again after a connection drops mid-file, without duplicating rows', async () => {
    kit = await createKit(sim);
    const { files } = await requestExport(kit.client, 'SoftwareVulnerabilitiesExport');
    const clean = await readAll(kit, files[2]!);
    // One fault per download: a faulted request draws every matching rule at once.
    for (const kind of ['cut-body', '5xx', 'reset']) {
      await sim.fault({ kind, param: 503, path: '/blob/', count: 1 });
      let summary: ExportFileSummary | undefined;
      const rows: Record<string, unknown>[] = [];
      const retries: unknown[] = [];
      // Small batches, so some rows were already handed out when the connection dropped.
      for await (const batch of readExportFileBatches(kit.client.transport, files[2]!, {
        batchSize: 50,
        sleep: kit.time.sleep,
        log: (_level, event, _msg, fields) => retries.push({ event, ...fields }),
        onDone: (s) => {
          summary = s;
        },
      })) {
        rows.push(...batch);
      }
      expect(summary?.retries).toBe(1);
      expect(rows.map(rowKey)).toEqual(clean.rows.map(rowKey));
      if (kind === 'cut-body')
        expect(retries).toEqual([
          expect.objectContaining({ event: 'export-retry', delivered: expect.any(Number) }),
        ]);
      if (kind === 'cut-body') expect((retries[0] as { delivered: number }).delivered).toBeGreaterThan(0);
    }
  });

  it('reads the inventory exports', async () => {
    kit = await createKit(sim);
    const truthCounts = (await sim.admin('GET', '/truth')) as {
      inventoryRows: number;
      nonCpeInventoryRows: number;
    };
    for (const [endpoint, expected] of [
      ['SoftwareInventoryExport', truthCounts.inventoryRows],
      ['SoftwareInventoryNonCpeExport', truthCounts.nonCpeInventoryRows],
    ] as const) {
      const { files } = await requestExport(kit.client, endpoint, { sasValidHours: 6 });
      let n = 0;
      for (const url of files) n += (await readAll(kit, url)).rows.length;
      expect(n).toBe(expected);
    }
    await expect(requestExport(kit.client, 'SoftwareInventoryExport', { sasValidHours: 7 })).rejects.toThrow(
      /sasValidHours must be an integer from 1 to 6/,
    );
  });
});
