import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db/open-store.js';
import { type ActionDevice, actionDevices } from '../helpers/action-devices.js';
import {
  completion,
  connectorAddArgs,
  mappingAddArgs,
  mdecRunner,
  spawnMdec,
} from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const SECRET = 'cli-actions-secret-7f3a';
const READ_ONLY = {
  clientId: '99999999-0000-4000-8000-0000000000ad',
  clientSecret: 'cli-read-only-secret-41c9',
};

// Each step starts mdec in a process of its own; a loaded machine needs more than the default time.
describe('mdec action and mdec audit as a user runs them', { timeout: 240_000 }, () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const run = mdecRunner(() => ({ db, cwd: dir }), SECRET);
  let healthy: ActionDevice[];
  let notOnboarded: ActionDevice;

  const advanceMinutes = (minutes: number) => sim.admin('POST', '/clock/advance', { ms: minutes * 60_000 });

  beforeAll(async () => {
    sim = await startTestSimulator({
      devices: 60,
      seed: 11,
      clientSecret: SECRET,
      extraApps: [{ ...READ_ONLY, roles: ['Machine.Read.All'], consented: true }],
    });
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-actions-'));
    db = join(dir, 'mdec.sqlite');
    const add = await run([...connectorAddArgs(sim, 'lab'), '--data-types', 'machines']);
    expect(add.code, add.stderr).toBe(0);
    const enable = await run(['connector', 'edit', '--name', 'lab', '--actions']);
    expect(enable.code, enable.stderr).toBe(0);
    const readOnlyArgs = connectorAddArgs(sim, 'ro');
    readOnlyArgs[readOnlyArgs.indexOf('--client-id') + 1] = READ_ONLY.clientId;
    const addReadOnly = await run([...readOnlyArgs, '--data-types', 'machines', '--actions'], {
      MDE_SECRET: READ_ONLY.clientSecret,
    });
    expect(addReadOnly.code, addReadOnly.stderr).toBe(0);
    for (const name of ['lab', 'ro']) {
      const synced = await run(['sync', '--connector', name]);
      expect(synced.code, synced.stderr).toBe(0);
    }
    const store = await openStore(db);
    try {
      ({ healthy, notOnboarded } = await actionDevices(store, 'lab'));
    } finally {
      await store.close();
    }
    expect(healthy.length).toBeGreaterThanOrEqual(5);
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('isolate --wait shows each status and exits 0 once the action succeeds', async () => {
    const child = spawnMdec(
      [
        '--db',
        db,
        'action',
        'isolate',
        '--host',
        String(healthy[0]!.hostId),
        '--connector',
        'lab',
        '--comment',
        'ransomware note found',
        '--wait',
        '--poll-interval',
        '0.1',
      ],
      { cwd: dir, env: { MDE_SECRET: SECRET } },
    );
    const finished = completion(child);
    // The simulator's clock stands still until the action is seen Pending; then it moves on.
    let stderr = '';
    child.stderr?.on('data', (c) => {
      stderr += String(c);
    });
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (stderr.includes(': Pending')) {
          clearInterval(check);
          resolve();
        }
        if (child.exitCode !== null) {
          clearInterval(check);
          reject(new Error(`mdec ended early: ${stderr}`));
        }
      }, 20);
    });
    await advanceMinutes(10);
    const result = await finished;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Sent isolate \(full\) to .* through "lab": action \d+/);
    expect(result.stdout).toMatch(/Action \d+ succeeded\./);
    expect(result.stderr).toMatch(/: Pending\n/);
    expect(result.stderr).toMatch(/: Succeeded\n/);
  });

  it('a duplicate while pending shows the pending action and exits 0; release and scans follow', async () => {
    const target = ['--host', String(healthy[1]!.hostId), '--connector', 'lab'];
    const first = await run([
      '--json',
      'action',
      'isolate',
      ...target,
      '--comment',
      'lateral movement',
      '--type',
      'selective',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const sent = JSON.parse(first.stdout);
    expect(sent).toMatchObject({
      action: 'isolate',
      actionType: 'Selective',
      status: 'Pending',
      alreadyPending: false,
    });
    const again = await run(['action', 'isolate', ...target, '--comment', 'again']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`already pending`);
    expect(again.stdout).toContain(`action ${sent.id} (MDE action ${sent.mdeActionId})`);

    await advanceMinutes(10);
    const shown = await run(['--json', 'action', 'show', String(sent.id)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: sent.id, status: 'Succeeded' });

    // Nothing moves the clock now: the wait gives up (exit 1) and says how to look again; the action goes on.
    const release = await run([
      'action',
      'unisolate',
      ...target,
      '--comment',
      'contained',
      '--wait',
      '--poll-interval',
      '0.1',
      '--wait-timeout',
      '0.005',
    ]);
    expect(release.code, release.stderr).toBe(1);
    expect(release.stderr).toMatch(/still Pending after .*mdec action show \d+/);
    const listed = JSON.parse(
      (await run(['--json', 'action', 'list', '--host', String(healthy[1]!.hostId)])).stdout,
    );
    expect(listed.map((a: { action: string; status: string }) => [a.action, a.status])).toEqual([
      ['unisolate', 'Pending'],
      ['isolate', 'Succeeded'],
    ]);
  });

  it('runs quick and full scans', async () => {
    for (const [index, type, scope] of [
      [2, undefined, 'Quick'],
      [3, 'full', 'Full'],
    ] as const) {
      const out = await run([
        '--json',
        'action',
        'scan',
        '--machine-id',
        healthy[index]!.machineId,
        '--connector',
        'lab',
        '--comment',
        'check',
        ...(type ? ['--type', type] : []),
      ]);
      expect(out.code, out.stderr).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ action: 'scan', actionType: scope, status: 'Pending' });
    }
  });

  it('bad input exits 2 and sends nothing', async () => {
    const host = String(healthy[4]!.hostId);
    const cases: [string[], RegExp][] = [
      [['action', 'isolate', '--host', host, '--connector', 'lab'], /--comment is required/],
      [
        ['action', 'scan', '--host', host, '--connector', 'lab', '--comment', 'x', '--type', 'selective'],
        /quick or full/,
      ],
      [
        ['action', 'isolate', '--host', host, '--connector', 'lab', '--comment', 'x', '--type', 'quick'],
        /full or selective/,
      ],
      [['action', 'isolate', '--host', host, '--machine-id', 'abc', '--comment', 'x'], /one of --host/],
      [['action', 'isolate', '--host', 'web-01', '--comment', 'x'], /--host must be a host id/],
      [['action', 'isolate', '--host', '999999', '--comment', 'x'], /no host 999999/],
      [['action', 'isolate', '--host', host, '--comment', 'x'], /several connectors .*--connector/],
      [
        ['action', 'isolate', '--host', String(notOnboarded.hostId), '--connector', 'lab', '--comment', 'x'],
        /not onboarded/,
      ],
      [['action', 'show', '424242'], /no machine action 424242/],
    ];
    const sentBefore = (await sim.getJson<{ value: unknown[] }>('/api/machineactions')).body.value.length;
    for (const [args, message] of cases) {
      const out = await run(args);
      expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(2);
      expect(out.stderr).toMatch(message);
    }
    expect((await sim.getJson<{ value: unknown[] }>('/api/machineactions')).body.value.length).toBe(
      sentBefore,
    );
  });

  it('a 403 explains the missing permission (exit 1); test-credentials checks action permissions', async () => {
    const throughReadOnly = (action: string) =>
      run(['action', action, '--host', String(healthy[4]!.hostId), '--connector', 'ro', '--comment', 'x']);
    const denied = await throughReadOnly('isolate');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/lacks the permission Machine\.Isolate.*grant admin consent/);
    const scan = await throughReadOnly('scan');
    expect(scan.code).toBe(1);
    expect(scan.stderr).toContain('Machine.Scan');

    const readOnly = await run(['test-credentials', '--connector', 'ro']);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stdout).toMatch(
      /✗ permission for machine actions \(Machine\.Isolate\): token lacks Machine\.Isolate/,
    );
    expect(readOnly.stdout).toMatch(/✗ permission for machine actions \(Machine\.Scan\)/);
    const full = await run(['test-credentials', '--connector', 'lab']);
    expect(full.code, full.stdout).toBe(0);
    expect(full.stdout).toMatch(/✓ permission for machine actions \(Machine\.Isolate\)/);

    // Turned off, the connector sends nothing and says how to turn actions on.
    expect((await run(['connector', 'edit', '--name', 'ro', '--no-actions'])).code).toBe(0);
    const off = await throughReadOnly('isolate');
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/machine actions are off for connector "ro".*--actions/);
    const checks = await run(['test-credentials', '--connector', 'ro']);
    expect(checks.stdout).not.toContain('machine actions');
  });

  it('the audit log holds every change and action with its OS user, exported as JSON and CSV, without secrets', async () => {
    writeFileSync(join(dir, 'scoring.csv'), 'match,severity,score\nCritical,5,100\n*,2,20\n');
    expect(
      (await run(['scoring', 'set', '--connector', 'lab', '--file', join(dir, 'scoring.csv')])).code,
    ).toBe(0);
    const mapped = await run(
      mappingAddArgs({
        entity: 'host',
        source: 'onboardingStatus',
        type: 'string',
        target: 'customAttributes.onboarding',
      }),
    );
    expect(mapped.code, mapped.stderr).toBe(0);
    expect((await run(['connector', 'edit', '--name', 'lab', '--inactive'])).code).toBe(0);
    expect((await run(['connector', 'remove', '--name', 'ro'])).code).toBe(0);

    const exported = await run(['audit', '--format', 'json']);
    expect(exported.code, exported.stderr).toBe(0);
    const log = JSON.parse(exported.stdout) as Array<Record<string, unknown>>;
    const me = userInfo().username;
    const configuration = log.filter((e) => e.actorKind === 'cli');
    expect(configuration.every((e) => e.actor === me)).toBe(true);
    const seen = log.map((e) => `${e.action}:${e.outcome}`);
    for (const expected of [
      'connector.add:succeeded',
      'connector.edit:succeeded',
      'machine-action.isolate:accepted',
      'machine-action.isolate:already-pending',
      'machine-action.isolate:refused',
      'machine-action.isolate:denied',
      'machine-action.scan:accepted',
      'machine-action.scan:denied',
      'machine-action.unisolate:accepted',
      'machine-action.result:succeeded',
      'scoring.set:succeeded',
      'mapping.add:succeeded',
      'connector.deactivate:succeeded',
      'connector.remove:succeeded',
    ])
      expect(seen, expected).toContain(expected);
    const enabled = log.find((e) => e.action === 'connector.edit' && e.target === 'lab')!;
    expect(enabled).toMatchObject({
      before: { options: { actions: false } },
      after: { options: { actions: true } },
    });
    const mapping = log.find((e) => e.action === 'mapping.add')!;
    expect(mapping).toMatchObject({
      before: { map: 'default', customFields: [] },
      after: { customFields: [{ targetField: 'customAttributes.onboarding' }] },
    });

    const csvPath = join(dir, 'audit.csv');
    const csv = await run(['audit', '--format', 'csv', '--out', csvPath]);
    expect(csv.code, csv.stderr).toBe(0);
    const csvText = readFileSync(csvPath, 'utf8');
    expect(csvText.split('\r\n')[0]).toBe(
      'id,at,actor,actorKind,action,targetKind,target,connector,before,after,outcome,detail',
    );
    expect(csvText.split('\r\n').filter(Boolean)).toHaveLength(log.length + 1);

    expect((await run(['audit', '--format', 'xml'])).code).toBe(2);
    // Neither export, nor any byte of the database, holds a secret in the clear.
    for (const text of [exported.stdout, csvText]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(READ_ONLY.clientSecret);
    }
    for (const file of [db, `${db}-wal`].filter(existsSync)) {
      const bytes = readFileSync(file).toString('latin1');
      expect(bytes).not.toContain(SECRET);
      expect(bytes).not.toContain(READ_ONLY.clientSecret);
    }
  });
});
