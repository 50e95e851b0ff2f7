import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorAddArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

describe('mdec scoring: show, set and rescore as a user runs them', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'cli-scoring-secret';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);
  const findings = async () =>
    JSON.parse((await run(['export', 'findings', '--format', 'json'])).stdout) as Array<{
      sourceSeverity: string;
      severity: number;
      score: number;
    }>;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 5, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-scoring-'));
    db = join(dir, 'mdec.sqlite');
    const add = await run([
      ...connectorAddArgs(sim),
      '--data-types',
      'vulnerabilities,vulnerability-definitions',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const synced = await run(['sync', '--connector', 'lab']);
    expect(synced.code, synced.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the default map as CSV that set reads back', async () => {
    const show = await run(['scoring', 'show', '--connector', 'lab', '--format', 'csv']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.split('\r\n')).toEqual([
      'match,severity,score',
      'Critical,5,95',
      'High,4,80',
      'Medium,3,55',
      'Low,2,25',
      'Informational,1,5',
      '*,3,55',
      '',
    ]);
    writeFileSync(join(dir, 'same.csv'), show.stdout);
    const set = await run([
      '--json',
      'scoring',
      'set',
      '--connector',
      'lab',
      '--file',
      join(dir, 'same.csv'),
    ]);
    expect(set.code, set.stderr).toBe(0);
    // The same map: nothing to change.
    const out = JSON.parse(set.stdout);
    expect(out.rescored.examined).toBeGreaterThan(100);
    expect(out.rescored.changed).toBe(0);
  });

  it.each([
    [
      'bad.csv',
      'match,severity,score\nHigh,6,80\n',
      /--file: line 2 \(rows\[0\]\)\.severity: must be a whole number from 1 to 5 \(got 6\)/,
    ],
    [
      'dup.json',
      '{"rows":[{"match":"High","severity":4},{"match":"HIGH","severity":5}]}',
      /rows\[1\]\.match: "HIGH" duplicates rows\[0\]/,
    ],
    ['empty.json', '{"rows":[]}', /defaultSeverity: required/],
    ['map.txt', 'High,4', /--file: cannot tell the format/],
  ])('refuses %s with exit 2, naming the field', async (name, text, message) => {
    writeFileSync(join(dir, name), text);
    const r = await run(['scoring', 'set', '--connector', 'lab', '--file', join(dir, name)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('setting a map rescores the stored findings at once; rescore is then a no-op', async () => {
    const before = await findings();
    expect(before.some((f) => f.sourceSeverity === 'High' && f.severity === 4)).toBe(true);
    writeFileSync(
      join(dir, 'map.json'),
      JSON.stringify({
        rows: [{ match: 'high', severity: 1, score: 0 }],
        defaultSeverity: 2,
        defaultScore: 20,
      }),
    );
    const set = await run(['scoring', 'set', '--connector', 'lab', '--file', join(dir, 'map.json')]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/Rescored \d+ findings of "lab" .*: \d+ changed severity or score/);
    const after = await findings();
    expect(after.length).toBe(before.length);
    for (const f of after) expect(f.severity).toBe(f.sourceSeverity === 'High' ? 1 : 2);
    const show = JSON.parse((await run(['--json', 'scoring', 'show', '--connector', 'lab'])).stdout);
    expect(show).toMatchObject({ connector: 'lab', custom: true, defaultSeverity: 2, defaultScore: 20 });
    const again = JSON.parse((await run(['--json', 'scoring', 'rescore', '--connector', 'lab'])).stdout);
    expect(again.rescored).toMatchObject({ examined: before.length, changed: 0 });
  });

  it('host risk follows a map edit, and reset brings back the default map and its scores', async () => {
    const hosts = async () =>
      JSON.parse((await run(['export', 'hosts', '--format', 'json'])).stdout) as Array<{
        id: number;
        topVulnerabilityScore: number | null;
      }>;
    const topByHost = async () => {
      const rows = JSON.parse((await run(['export', 'findings', '--format', 'json'])).stdout) as Array<{
        hostId: number;
        status: string;
        severity: number;
        score: number;
      }>;
      // The host's most severe open finding: severity first, then score (host-risk-step.ts).
      const top = new Map<number, { severity: number; score: number }>();
      for (const f of rows) {
        if (f.status !== 'open') continue;
        const t = top.get(f.hostId);
        if (!t || f.severity > t.severity || (f.severity === t.severity && f.score > t.score))
          top.set(f.hostId, { severity: f.severity, score: f.score });
      }
      return top;
    };
    writeFileSync(join(dir, 'low.json'), JSON.stringify({ rows: [], defaultSeverity: 1, defaultScore: 1 }));
    const set = await run(['scoring', 'set', '--connector', 'lab', '--file', join(dir, 'low.json')]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/[1-9]\d* hosts changed risk/);
    const low = await topByHost();
    expect(low.size).toBeGreaterThan(10);
    for (const h of await hosts())
      if (low.has(h.id)) expect(h.topVulnerabilityScore).toBe(low.get(h.id)!.score);
    const reset = await run(['--json', 'scoring', 'reset', '--connector', 'lab']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout).rescored.changed).toBeGreaterThan(0);
    const show = JSON.parse((await run(['--json', 'scoring', 'show', '--connector', 'lab'])).stdout);
    expect(show).toMatchObject({ custom: false });
    const back = await topByHost();
    for (const h of await hosts())
      if (back.has(h.id)) expect(h.topVulnerabilityScore).toBe(back.get(h.id)!.score);
    expect([...back].some(([id, t]) => t.score !== low.get(id)?.score)).toBe(true);
  });

  it('an unknown connector is bad usage', async () => {
    const r = await run(['scoring', 'rescore', '--connector', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--connector: no connector named "nope"/);
  });
});
