import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { errorOf, startTestApi, type TestApi } from './api-harness.js';

type Json = Record<string, unknown>;
const DAY_MS = 86_400_000;
const EXPOSURE = ['None', 'Low', 'Medium', 'High'];

/**
 * The routes the web console adds (docs/api.md#statistics, #connectors): the dashboard's figures
 * checked against the stored rows read back, the scoring preview against the rescore that saving
 * runs, and mapping changes with their audit entries; on both databases.
 */
describe.each(STORE_KINDS)('the console routes (%s)', (storeKind) => {
  let sim: TestSimulator;
  let ts: TestStore;
  let api: TestApi;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 30, seed: 5 });
    ts = await openTestStore(storeKind);
    await addConnector(ts.store, sim, { dataTypes: ['machines', 'vulnerabilities'] }, 'lab');
    expect((await sync(ts.store, sim, 'full', 'lab')).state).toBe('succeeded');
    await sim.admin('POST', '/clock/advance', { hours: 2 });
    expect((await sync(ts.store, sim, 'full', 'lab')).state).toBe('succeeded');
    api = await startTestApi(ts.store, sim);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await ts?.drop();
    await sim?.close();
  });

  const openScores = async () =>
    new Map(
      (
        await selectFindings(ts.store)
          .select(['deviceId', 'softwareId', 'cveId', 'severity', 'score'])
          .where('status', '=', 'open')
          .execute()
      ).map((f) => [`${f.deviceId}.${f.softwareId}.${f.cveId}`, `${f.severity}/${f.score}`]),
    );

  it('previews how many open findings a scoring map changes, writes nothing, and saving changes as many', async () => {
    const { custom: _custom, ...current } = (
      await api.as('viewer', { method: 'GET', url: '/api/connectors/lab/scoring?format=json' })
    ).json() as { custom: boolean; rows: Array<{ match: string; severity: number; score: number }> };
    const edited = {
      ...current,
      rows: current.rows.map((r, i) => (i === 1 ? { ...r, score: r.score === 85 ? 84 : 85 } : r)),
    };
    const before = await openScores();
    const preview = await api.as('admin', {
      method: 'POST',
      url: '/api/connectors/lab/scoring/preview',
      payload: edited,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const counted = preview.json() as { examined: number; changed: number };
    expect(counted.examined).toBe(before.size);
    expect(counted.changed).toBeGreaterThan(0);
    expect(await openScores()).toEqual(before);

    expect(
      (await api.as('admin', { method: 'PUT', url: '/api/connectors/lab/scoring', payload: edited }))
        .statusCode,
    ).toBe(200);
    const after = await openScores();
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).length;
    expect(counted.changed).toBe(changed);

    const bad = await api.as('admin', {
      method: 'POST',
      url: '/api/connectors/lab/scoring/preview',
      headers: { 'content-type': 'text/csv' },
      payload: 'match,severity,score\nHigh,9,900\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details?.[0]?.path).toBe('body');
    expect(
      (
        await api.as('admin', {
          method: 'POST',
          url: '/api/connectors/none/scoring/preview',
          payload: edited,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('computes the dashboard figures as the stored findings and sources give them', async () => {
    // Some findings fixed a known number of days after they were first found.
    const some = await selectFindings(ts.store)
      .select(['deviceId', 'softwareId', 'cveId', 'firstFound', 'severity'])
      .where('status', '=', 'open')
      .orderBy('deviceId')
      .orderBy('cveId')
      .limit(12)
      .execute();
    for (const [i, f] of some.entries()) {
      const fixedAt = new Date(Date.parse(f.firstFound) + (i + 1) * DAY_MS).toISOString();
      await sql`update findings set status = 'fixed', last_fixed = ${fixedAt}
        where device_id = ${f.deviceId} and software_id = ${f.softwareId} and cve_id = ${f.cveId}`.execute(
        ts.store.db,
      );
    }
    const res = await api.as('viewer', { method: 'GET', url: '/api/stats/dashboard' });
    expect(res.statusCode, res.body).toBe(200);
    const stats = res.json() as {
      openFindingsOverRuns: Array<{ runId: number; finishedAt: string; open: number }>;
      hostsByExposureLevel: Record<string, number>;
      meanTimeToFix: {
        overallDays: number;
        fixed: number;
        bySeverity: Array<{ severity: number; fixed: number; meanDays: number }>;
      };
    };

    const findings = await selectFindings(ts.store)
      .select(['firstFound', 'lastFixed', 'status', 'severity'])
      .execute();
    expect(stats.openFindingsOverRuns).toHaveLength(2);
    for (const point of stats.openFindingsOverRuns) {
      const t = point.finishedAt;
      const open = findings.filter(
        (f) => f.firstFound <= t && (f.status === 'open' || (f.lastFixed !== null && f.lastFixed > t)),
      ).length;
      expect(point.open, `open when run ${point.runId} finished`).toBe(open);
    }

    expect(stats.meanTimeToFix.fixed).toBe(some.length);
    const meanDays = (some.length + 1) / 2;
    expect(stats.meanTimeToFix.overallDays).toBeCloseTo(meanDays, 1);
    for (const s of stats.meanTimeToFix.bySeverity) {
      const days = some.flatMap((f, i) => (Number(f.severity) === s.severity ? [i + 1] : []));
      expect(s.fixed).toBe(days.length);
      expect(s.meanDays).toBeCloseTo(days.reduce((a, b) => a + b, 0) / days.length, 1);
    }

    const sources = await ts.store.db.selectFrom('hostSources').select(['hostId', 'exposureLevel']).execute();
    const worst = new Map<number, number>();
    for (const s of sources) {
      const rank = EXPOSURE.indexOf(s.exposureLevel ?? '');
      worst.set(Number(s.hostId), Math.max(worst.get(Number(s.hostId)) ?? -1, rank));
    }
    const expected: Record<string, number> = {};
    for (const rank of worst.values()) {
      const level = EXPOSURE[rank] ?? 'unknown';
      expected[level] = (expected[level] ?? 0) + 1;
    }
    expect(stats.hostsByExposureLevel).toEqual(expected);
  });

  it('clones the map, adds and removes custom fields with audit entries, and the CSV shows them', async () => {
    const clone = await api.as('admin', { method: 'POST', url: '/api/connectors/lab/mapping/clone' });
    expect(clone.statusCode, clone.body).toBe(201);
    expect(clone.json()).toMatchObject({ connector: 'lab', cloned: true, map: 'lab transform map' });
    const again = await api.as('admin', {
      method: 'POST',
      url: '/api/connectors/lab/mapping/clone',
      payload: { name: 'another' },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ cloned: false, map: 'lab transform map' });

    const field = {
      entity: 'host',
      sourceField: 'vmMetadata.vmId',
      dataType: 'string',
      targetField: 'customAttributes.vmId',
    };
    const add = (payload: Json) =>
      api.as('admin', { method: 'POST', url: '/api/connectors/lab/mapping/fields', payload });
    const added = await add(field);
    expect(added.statusCode, added.body).toBe(201);
    expect((added.json() as { customFields: Json[] }).customFields).toEqual([field]);
    expect(added.json()).not.toHaveProperty('note');
    const typo = await add({
      ...field,
      sourceField: 'vmMetadatum.vmId',
      targetField: 'customAttributes.other',
    });
    expect(typo.statusCode).toBe(201);
    expect((typo.json() as { note: string }).note).toContain('vmmetadatum');

    const clash = await add({ ...field, sourceField: 'osBuild' });
    expect(clash.statusCode).toBe(409);
    expect(errorOf(clash).message).toContain('already mapped from vmMetadata.vmId');
    const badTarget = await add({ ...field, targetField: 'vmId' });
    expect(badTarget.statusCode).toBe(400);
    expect(errorOf(badTarget).details?.[0]?.path).toBe('body.targetField');
    const badList = await add({
      ...field,
      sourceField: 'ipAddresses[].ipAddress',
      targetField: 'customAttributes.ips',
    });
    expect(errorOf(badList).details?.[0]?.path).toBe('body.dataType');
    const badEntity = await add({ ...field, entity: 'planet' });
    expect(errorOf(badEntity).details?.[0]?.path).toBe('body.entity');

    const csv = await api.as('viewer', { method: 'GET', url: '/api/connectors/lab/mapping?format=csv' });
    expect(csv.body).toContain('host.customAttributes.vmId');

    const remove = (target: string) =>
      api.as('admin', { method: 'DELETE', url: `/api/connectors/lab/mapping/fields/host/${target}` });
    const removed = await remove('customAttributes.other');
    expect(removed.statusCode, removed.body).toBe(200);
    expect((removed.json() as { customFields: Json[] }).customFields).toEqual([field]);
    expect((await remove('customAttributes.other')).statusCode).toBe(404);
    expect(errorOf(await remove('other')).details?.[0]?.path).toBe('params.target');

    const audit = (
      await api.as('admin', {
        method: 'GET',
        url: `/api/audit?query=${encodeURIComponent('action:mapping')}&limit=100`,
      })
    ).json() as { items: Array<{ action: string; actor: string; actorKind: string }> };
    expect(audit.items.map((e) => e.action).sort()).toEqual([
      'mapping.add',
      'mapping.add',
      'mapping.clone',
      'mapping.clone',
      'mapping.remove',
    ]);
    expect(new Set(audit.items.map((e) => `${e.actorKind}:${e.actor}`))).toEqual(new Set(['api:admin']));

    const reset = await api.as('admin', { method: 'POST', url: '/api/connectors/lab/mapping/reset' });
    expect(reset.json()).toMatchObject({ reset: true, map: 'default', customFields: [] });
  });
});
