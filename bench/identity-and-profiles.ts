/**
 * Times the host-identity and profile steps at tenant scale, without HTTP:
 * connector A writes N simulated machines, connector B writes the same N (every one resolved against
 * A's hosts by the identification rules), then A's profiles are refreshed twice.
 *
 *   npx tsx bench/identity-and-profiles.ts [--devices 100000] [--postgres postgres://.../empty_db]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import { MachineSchema } from '../src/mde/schemas/machine.js';
import { parseConnectorOptions } from '../src/normalize/connector-options.js';
import type { NormalizedMachine } from '../src/normalize/model.js';
import { normalizeMachine } from '../src/normalize/normalize-machine.js';
import { SecretBox } from '../src/security/secret-box.js';
import { createSimulatedTenant } from '../src/simulator/tenant/create-simulated-tenant.js';
import { ConnectorRepository } from '../src/store/connectors/connector-repository.js';
import { openStore } from '../src/store/db/open-store.js';
import { HostWriter } from '../src/store/hosts/host-writer.js';
import { ProfileWriter } from '../src/store/hosts/profile-writer.js';

const { values: args } = parseArgs({
  options: { devices: { type: 'string', default: '100000' }, postgres: { type: 'string' } },
});
const devices = Number(args.devices);
const dir = mkdtempSync(join(tmpdir(), 'mdec-bench-identity-'));
const store = await openStore(args.postgres ?? join(dir, 'bench.sqlite'));
const origin = Date.parse('2026-11-01T00:00:00Z');
const tenant = createSimulatedTenant({ devices, seed: 1, originMs: origin, tenantId: 't' });
const repo = new ConnectorRepository(store, SecretBox.fromKey(Buffer.alloc(32, 1)));
const connector = (name: string) =>
  repo.create({
    name,
    network: 'default',
    tenantId: '11111111-2222-4333-8444-555555555555',
    clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    cloud: 'commercial',
    apiUrl: 'https://api.security.microsoft.com',
    loginUrl: 'https://login.microsoftonline.com',
    scope: 'https://api.securitycenter.microsoft.com/.default',
    active: true,
    schedule: null,
    options: parseConnectorOptions({}),
    credentials: { clientSecret: 'x' },
  });

async function writeAll(connectorId: number): Promise<{ ms: number; matched: number }> {
  const writer = new HostWriter(store);
  let batch: NormalizedMachine[] = [];
  let matched = 0;
  let ms = 0;
  const flush = async () => {
    const t = performance.now();
    const r = await writer.writeBatch(
      { connectorId, runId: 1, network: 'default', at: new Date().toISOString(), staleDays: 0, now: origin },
      batch,
      { stream: 'machines', value: {} },
    );
    ms += performance.now() - t;
    matched += r.matched ?? 0;
    batch = [];
  };
  for (const raw of tenant.machines(origin)) {
    const parsed = parseRecord(MachineSchema, raw);
    if (parsed.ok) batch.push(normalizeMachine(parsed.value));
    if (batch.length === 10_000) await flush();
  }
  if (batch.length) await flush();
  return { ms: Math.round(ms), matched };
}

const a = await connector('a');
const b = await connector('b');
const writeA = await writeAll(a.id);
const writeB = await writeAll(b.id);
const profiles = new ProfileWriter(store);
let t = performance.now();
const first = await profiles.refresh(a.id, new Date().toISOString());
const refreshFirstMs = Math.round(performance.now() - t);
t = performance.now();
await profiles.refresh(a.id, new Date().toISOString());
const refreshAgainMs = Math.round(performance.now() - t);
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    store: store.dialect,
    devices,
    writeFirstConnectorMs: writeA.ms,
    writeSecondConnectorMs: writeB.ms,
    secondConnectorMatched: writeB.matched,
    profileRefreshFirstMs: refreshFirstMs,
    profileRefreshUnchangedMs: refreshAgainMs,
    memberships: first.memberships,
  }),
);
