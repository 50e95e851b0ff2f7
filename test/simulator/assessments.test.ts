import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadExportFile,
  rowKey,
  startTestSimulator,
  type TestSimulator,
} from '../helpers/simulator-fixture.js';

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string };
type ExportAnswer = { exportFiles: string[]; generatedTime: string };

describe('simulator: assessment JSON and export files', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 250 });
  });
  afterAll(() => sim.close());

  it('pages SoftwareVulnerabilitiesByMachine with pageSize and $skiptoken nextLinks, matching the ground truth', async () => {
    const truth = await sim.truthRows('vulnerabilities');
    expect(truth.length).toBeGreaterThan(1000);
    const { rows, pages } = await sim.allPages('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=997');
    expect(pages).toBe(Math.ceil(truth.length / 997));
    expect(rows.map(rowKey)).toEqual(truth.map(rowKey));
    expect(rows.some((r) => r.cveId === null)).toBe(true);
    const first = await sim.getJson<Page>('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=10');
    expect(first.body['@odata.nextLink']).toContain('$skiptoken=');
  });

  it('truncates with $top: no nextLink', async () => {
    const { body } = await sim.getJson<Page>('/api/machines/SoftwareVulnerabilitiesByMachine?$top=25');
    expect(body.value).toHaveLength(25);
    expect(body['@odata.nextLink']).toBeUndefined();
  });

  it('refuses pageSize above 200,000 and a forged skiptoken', async () => {
    const big = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=200001',
    );
    expect(big.status).toBe(400);
    const forged = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/SoftwareVulnerabilitiesByMachine?$skiptoken=xyz',
    );
    expect(forged.status).toBe(400);
  });

  it('pages SoftwareInventoryByMachine and the non-CPE inventory', async () => {
    const inv = await sim.allPages('/api/machines/SoftwareInventoryByMachine?pageSize=2000');
    expect(inv.rows.length).toBeGreaterThan(500);
    expect(inv.rows[0]).toHaveProperty('endOfSupportStatus');
    const noncpe = await sim.allPages('/api/machines/SoftwareInventoryNoProductCodeByMachine?pageSize=2000');
    expect(noncpe.rows.length).toBeGreaterThan(0);
    expect(noncpe.rows[0]).toHaveProperty('softwareLastSeenTimestamp');
  });

  it('returns export file links that download without auth as gzip JSON lines in PascalCase, equal to the truth', async () => {
    const { status, body } = await sim.getJson<ExportAnswer>(
      '/api/machines/SoftwareVulnerabilitiesExport?sasValidHours=2',
    );
    expect(status).toBe(200);
    expect(body.exportFiles.length).toBe(Math.ceil(250 / 80));
    expect(body.generatedTime).toBe('2026-11-01T00:00:00Z');
    const rows: Record<string, unknown>[] = [];
    for (const url of body.exportFiles) rows.push(...(await downloadExportFile(url)));
    const truth = await sim.truthRows('vulnerabilities');
    expect(rows.map(rowKey)).toEqual(truth.map(rowKey));
    const sample = rows.find((r) => r.CveId)!;
    expect(Object.keys(sample)).toEqual(
      expect.arrayContaining(['DeviceId', 'OSPlatform', 'SoftwareVendor', 'CveId']),
    );
    expect(sample.LastSeenTimestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  it('serves the inventory and non-CPE exports too', async () => {
    for (const path of ['SoftwareInventoryExport', 'SoftwareInventoryNonCpeExport']) {
      const { body } = await sim.getJson<ExportAnswer>(`/api/machines/${path}`);
      const rows = await downloadExportFile(body.exportFiles[0]!);
      expect(rows.length, path).toBeGreaterThan(0);
      expect(rows[0], path).toHaveProperty('DeviceId');
    }
  });

  it('refuses sasValidHours above 6 and rejects a tampered link', async () => {
    const bad = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/SoftwareVulnerabilitiesExport?sasValidHours=7',
    );
    expect(bad.status).toBe(400);
    const { body } = await sim.getJson<ExportAnswer>('/api/machines/SoftwareVulnerabilitiesExport');
    const tampered = body.exportFiles[0]!.replace(/se=[^&]+/, 'se=2099-01-01T00%3A00%3A00Z');
    const res = await fetch(tampered);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AuthenticationFailed</Code>');
  });

  it('expires export links after sasValidHours of simulated time, like Azure Blob (403)', async () => {
    const local = await startTestSimulator({ devices: 20 });
    try {
      const { body } = await local.getJson<ExportAnswer>(
        '/api/machines/SoftwareVulnerabilitiesExport?sasValidHours=1',
      );
      expect((await fetch(body.exportFiles[0]!)).status).toBe(200);
      await local.advanceHours(1.5);
      const res = await fetch(body.exportFiles[0]!);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('AuthenticationErrorDetail');
    } finally {
      await local.close();
    }
  });
});

describe('simulator: time, snapshots and the change feed', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 400 });
  });
  afterAll(() => sim.close());

  it('regenerates the snapshot every 6 hours and the change feed replays snapshot 0 into the latest one', async () => {
    const before = await sim.truthRows('vulnerabilities');
    const sinceTime = '2026-11-01T00:00:00Z';
    const empty = await sim.allPages(
      `/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=${sinceTime}`,
    );
    expect(empty.rows).toHaveLength(0);

    await sim.advanceHours(24);
    const clock = await sim.admin('GET', '/clock');
    expect(clock.epoch).toBe(4);
    const exported = await sim.getJson<ExportAnswer>('/api/machines/SoftwareVulnerabilitiesExport');
    expect(exported.body.generatedTime).toBe('2026-11-02T00:00:00Z');
    const after = await sim.truthRows('vulnerabilities');

    const { rows } = await sim.allPages(
      `/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=${encodeURIComponent(sinceTime)}&pageSize=100`,
    );
    const statuses = new Set(rows.map((r) => r.status));
    expect(statuses).toEqual(new Set(['New', 'Fixed', 'Updated']));
    // Apply the events in order to the first snapshot; the result must be the latest snapshot.
    const state = new Map(before.filter((r) => r.cveId).map((r) => [rowKey(r), r]));
    // Within one generation window an RBAC move is Fixed (old group) plus New (new group) for one key
    // (docs/mde-api.md#delta-feed), so apply each window's Fixed rows before its New and Updated rows.
    const windowOf = (r: Record<string, unknown>) =>
      Math.floor(Date.parse(`${String(r.eventTimestamp).slice(0, 19)}Z`) / 21_600_000);
    const rank = (r: Record<string, unknown>) => (r.status === 'Fixed' ? 0 : 1);
    const ordered = rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => windowOf(a.r) - windowOf(b.r) || rank(a.r) - rank(b.r) || a.i - b.i);
    for (const { r } of ordered) {
      if (!r.cveId) continue;
      if (r.status === 'Fixed') state.delete(rowKey(r));
      else state.set(rowKey(r), r);
    }
    const expected = after
      .filter((r) => r.cveId)
      .map(rowKey)
      .sort();
    expect([...state.keys()].sort()).toEqual(expected);
    expect(rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(r.eventTimestamp as string))).toBe(true);
  });

  it('works the change feed out ahead on request, with the same rows as a fresh tenant computes', async () => {
    const fresh = await startTestSimulator({ devices: 400 });
    try {
      await fresh.advanceHours(24);
      const prepared = await sim.admin('POST', '/changes/prepare?epochs=3');
      expect(prepared).toEqual({ fromEpoch: 2, toEpoch: 4 });
      const path = '/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=2026-11-01T06:00:00Z';
      const kept = await sim.allPages(path);
      const computed = await fresh.allPages(path);
      expect(kept.rows.length).toBeGreaterThan(0);
      expect(kept.rows).toEqual(computed.rows);
      await expect(sim.admin('POST', '/changes/prepare?epochs=0')).rejects.toThrow(/epochs must be/);
      await expect(sim.admin('POST', '/changes/prepare?epochs=x')).rejects.toThrow(/epochs must be/);
    } finally {
      await fresh.close();
    }
  });

  it('requires sinceTime and refuses one older than 14 days', async () => {
    const missing = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/SoftwareVulnerabilityChangesByMachine',
    );
    expect(missing.status).toBe(400);
    const old = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=2026-10-01T00:00:00Z',
    );
    expect(old.status).toBe(400);
  });
});
