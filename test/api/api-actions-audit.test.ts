import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionDevice, actionDevices } from '../helpers/action-devices.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { errorOf, startTestApi, type TestApi } from './api-harness.js';

type Json = Record<string, unknown>;

/**
 * Machine actions and the audit log through the API (docs/api.md#actions, #audit-log), on both
 * databases: actions go through the action service to the simulator, and every change made through
 * the API is in the audit log with the signed-in user, never a secret.
 */
describe.each(STORE_KINDS)('machine actions and the audit log through the API (%s)', (storeKind) => {
  let sim: TestSimulator;
  let ts: TestStore;
  let api: TestApi;
  let healthy: ActionDevice[];
  let notOnboarded: ActionDevice;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 40, seed: 11 });
    ts = await openTestStore(storeKind);
    await addConnector(ts.store, sim, { dataTypes: ['machines'], actions: true }, 'lab');
    expect((await sync(ts.store, sim, 'full', 'lab')).state).toBe('succeeded');
    ({ healthy, notOnboarded } = await actionDevices(ts.store, 'lab'));
    expect(healthy.length).toBeGreaterThanOrEqual(2);
    api = await startTestApi(ts.store, sim);
  });
  afterAll(async () => {
    await api?.close();
    await ts?.drop();
    await sim?.close();
  });

  const isolate = (hostId: number, payload: Json = { type: 'isolate', comment: 'contain it' }) =>
    api.as('analyst', { method: 'POST', url: `/api/hosts/${hostId}/actions`, payload });

  it('isolates a host: 201 with the action, 200 with duplicate while pending, then it succeeds', async () => {
    const host = healthy[0]!;
    const first = await isolate(host.hostId);
    expect(first.statusCode, first.body).toBe(201);
    const action = first.json() as Json;
    expect(action).toMatchObject({
      hostId: host.hostId,
      machineId: host.machineId,
      action: 'isolate',
      actionType: 'Full',
      comment: 'contain it',
      requestedBy: 'analyst',
      requestedVia: 'api',
      status: 'Pending',
      duplicate: false,
    });
    const again = await isolate(host.hostId);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: action.id, duplicate: true });

    await sim.admin('POST', '/clock/advance', { ms: 10 * 60_000 });
    const polled = await api.as('viewer', { method: 'GET', url: `/api/actions/${action.id}` });
    expect(polled.statusCode).toBe(200);
    expect((polled.json() as { action: Json }).action).toMatchObject({ id: action.id, status: 'Succeeded' });

    const detail = (await api.as('viewer', { method: 'GET', url: `/api/hosts/${host.hostId}` })).json() as {
      actions: Json[];
    };
    expect(detail.actions.map((a) => a.id)).toContain(action.id);

    const list = await api.as('viewer', {
      method: 'GET',
      url: `/api/actions?query=${encodeURIComponent('action:isolate')}&sort=-requested&limit=1`,
    });
    expect(list.statusCode).toBe(200);
    const page = list.json() as { items: Json[]; total: number; nextCursor: string | null };
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect(page.items[0]).toMatchObject({ action: 'isolate' });
    expect(page.items[0]).not.toHaveProperty('raw');
  });

  it('a scan takes quick by default; bad bodies are 400 with the field, unknown hosts 404, refusals 409', async () => {
    const host = healthy[1]!;
    const scan = await isolate(host.hostId, { type: 'scan', comment: 'look' });
    expect(scan.statusCode, scan.body).toBe(201);
    expect(scan.json()).toMatchObject({ action: 'scan', actionType: 'Quick' });

    const wrongType = await isolate(host.hostId, { type: 'isolate', scanType: 'full', comment: 'x' });
    expect(wrongType.statusCode).toBe(400);
    expect(errorOf(wrongType).details?.[0]?.path).toBe('body.scanType');
    const noComment = await isolate(host.hostId, { type: 'isolate' });
    expect(noComment.statusCode).toBe(400);
    expect(errorOf(noComment).details?.map((d) => d.path)).toContain('body.comment');
    const unknownType = await isolate(host.hostId, { type: 'reboot', comment: 'x' });
    expect(unknownType.statusCode).toBe(400);

    const missing = await isolate(999_999);
    expect(missing.statusCode).toBe(404);
    const refused = await isolate(notOnboarded.hostId);
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused).code).toBe('action-refused');

    expect((await api.as('viewer', { method: 'GET', url: '/api/actions/999999' })).statusCode).toBe(404);
    expect((await api.as('viewer', { method: 'GET', url: '/api/actions/abc' })).statusCode).toBe(400);
    expect(
      (await api.as('viewer', { method: 'GET', url: '/api/actions?query=nosuchfield:1' })).statusCode,
    ).toBe(400);
    expect((await isolate(host.hostId)).statusCode).not.toBe(403);
    const asViewer = await api.as('viewer', {
      method: 'POST',
      url: `/api/hosts/${host.hostId}/actions`,
      payload: { type: 'scan', comment: 'x' },
    });
    expect(asViewer.statusCode).toBe(403);
  });

  it('records every change made through the API with the API user, without secrets; admins read it', async () => {
    const secret = 'a-new-secret-that-must-not-leak-93c1';
    const edit = await api.as('admin', {
      method: 'PATCH',
      url: '/api/connectors/lab',
      payload: { clientSecret: secret, staleDays: 12 },
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const off = await api.as('admin', { method: 'POST', url: '/api/connectors/lab/deactivate' });
    expect(off.statusCode).toBe(200);
    const user = await api.as('admin', {
      method: 'POST',
      url: '/api/users',
      payload: { name: 'carol', role: 'viewer', password: 'a long enough password' },
    });
    expect(user.statusCode).toBe(201);
    const token = await api.as('admin', { method: 'POST', url: '/api/tokens', payload: { user: 'carol' } });
    expect(token.statusCode).toBe(201);
    const tokenText = (token.json() as { token: string }).token;

    expect((await api.as('analyst', { method: 'GET', url: '/api/audit' })).statusCode).toBe(403);
    const res = await api.as('admin', {
      method: 'GET',
      url: `/api/audit?query=${encodeURIComponent('actorKind:api')}&sort=-at&limit=1000`,
    });
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).not.toContain(secret);
    expect(body).not.toContain(tokenText);
    expect(body).not.toContain('a long enough password');
    const entries = (res.json() as { items: Json[] }).items;
    const by = (action: string) => entries.find((e) => e.action === action);
    expect(by('connector.edit')).toMatchObject({ actor: 'admin', actorKind: 'api', target: 'lab' });
    expect(JSON.stringify(by('connector.edit')!.after)).toContain('12');
    expect(by('connector.deactivate')).toMatchObject({ actor: 'admin' });
    expect(by('user.add')).toMatchObject({ actor: 'admin', target: 'carol' });
    expect(by('token.create')).toMatchObject({ actor: 'admin' });
    expect(by('machine-action.isolate')).toMatchObject({ actor: 'analyst', actorKind: 'api' });
  });
});
