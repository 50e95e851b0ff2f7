import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorAddArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

type Row = Record<string, unknown>;

/** `mdec export KIND --query` as a user runs it, on both databases. */
describe.each(STORE_KINDS)('mdec export --query (%s)', (storeKind) => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  let pg: TestStore | undefined;
  const secret = 'cli-query-secret';
  const base = mdecRunner(() => ({ db, cwd: dir }), secret);
  const run = (args: string[]) => base(args, { MDEC_KEY_FILE: join(dir, 'test.key') });
  const rows = async (kind: string, query?: string) => {
    const out = await run([
      'export',
      kind,
      '--format',
      'json',
      ...(query === undefined ? [] : ['--query', query]),
    ]);
    expect(out.code, out.stderr).toBe(0);
    return JSON.parse(out.stdout) as Row[];
  };
  const ids = (list: Row[]) => list.map((r) => String(r.id));

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 25, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-query-'));
    if (storeKind === 'postgres') {
      pg = await openTestStore('postgres');
      await pg.store.close();
      db = pg.location;
    } else {
      db = join(dir, 'mdec.sqlite');
    }
    const add = await run(connectorAddArgs(sim));
    expect(add.code, add.stderr).toBe(0);
    const synced = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(synced.code, synced.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    await pg?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads AND, OR and NOT in any case, severity and exploit words, and ISO times', async () => {
    const findings = await rows('findings');
    const severeOpen = ids(findings.filter((f) => Number(f.severity) >= 4 && f.status === 'open'));
    expect(severeOpen.length).toBeGreaterThan(0);
    expect(severeOpen.length).toBeLessThan(findings.length);
    expect(ids(await rows('findings', 'severity>=4 AND status:open'))).toEqual(severeOpen);
    expect(ids(await rows('findings', 'severity:high or severity:critical'))).toEqual(
      ids(findings.filter((f) => f.severity === 4 || f.severity === 5)),
    );
    expect(ids(await rows('findings', 'NOT severity>=high'))).toEqual(
      ids(findings.filter((f) => Number(f.severity) < 4)),
    );
    const verified = ids(findings.filter((f) => f.exploitabilityLevel === 'ExploitIsVerified'));
    expect(verified.length).toBeGreaterThan(0);
    expect(ids(await rows('findings', 'exploit:verified'))).toEqual(verified);
    const vulns = await rows('vulnerabilities');
    expect(ids(await rows('vulnerabilities', 'exploit>=verified'))).toEqual(
      ids(vulns.filter((v) => Number(v.exploitMaturityRank) >= 2)),
    );
    expect(ids(await rows('findings', 'lastFound<2026-12-02T00:00:00Z'))).toEqual(ids(findings));
    expect(await rows('findings', 'lastFound<2026-11-01T00:00:00+00:00')).toEqual([]);
  });
});

describe('mdec export --query refusals', () => {
  let dir: string;
  const run = mdecRunner(() => ({ db: join(dir, 'mdec.sqlite'), cwd: dir }), 'unused');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-query-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['findings', 'severity>=4 ANDD status:open', /--query: "ANDD" is not an operator; did you mean AND\?/],
    ['findings', 'severty:high', /--query: unknown field "severty" \(did you mean severity\?\)/],
    ['findings', 'severity=>4', /did you mean "severity>="\?/],
    ['hosts', 'os:Windows && tag:prod', /"&&" is not an operator; write AND/],
    ['vulnerabilities', 'exploit:sometimes', /"exploit" needs a number 0 to 3 or an exploit maturity word/],
    ['findings', 'lastFound<2026-13-01', /"lastFound" needs a date/],
  ])('export %s --query %j exits 2 naming the problem', async (kind, query, message) => {
    const out = await run(['export', kind, '--query', query]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });
});
