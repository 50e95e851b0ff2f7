import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditActor } from '../../src/audit/audit-actor.js';
import { REDACTED, recordAudit, withoutSecrets } from '../../src/audit/audit-log.js';
import {
  auditConnectorAdded,
  auditConnectorEdited,
  auditConnectorRemoved,
  configurationChange,
} from '../../src/audit/connector-audit.js';
import { parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { type AuditEntry, AuditLogRepository } from '../../src/store/audit/audit-log-repository.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const carol: AuditActor = { kind: 'cli', name: 'carol' };
const SECRET = 'Zq8~first-secret-value-that-must-never-leak';
const NEW_SECRET = 'Zq8~second-secret-value-that-must-never-leak';

describe('withoutSecrets', () => {
  it('replaces every secret-looking key at any depth and keeps the rest', () => {
    expect(
      withoutSecrets({
        name: 'lab',
        clientSecret: 'a',
        nested: { client_secret: 'b', apiToken: 'c', list: [{ password: 'd', privateKeyPem: 'e' }] },
        credential: 'client secret',
        tokenLifetime: 5,
        empty: null,
      }),
    ).toEqual({
      name: 'lab',
      clientSecret: REDACTED,
      nested: {
        client_secret: REDACTED,
        apiToken: REDACTED,
        list: [{ password: REDACTED, privateKeyPem: REDACTED }],
      },
      credential: 'client secret',
      tokenLifetime: 5,
      empty: null,
    });
  });

  it('a configuration change lists only what changed, options one by one', () => {
    expect(
      configurationChange(
        { name: 'a', active: true, options: { staleDays: 0, tags: [], actions: false } },
        { name: 'a', active: false, options: { staleDays: 30, tags: [], actions: false } },
      ),
    ).toEqual({
      before: { active: true, options: { staleDays: 0 } },
      after: { active: false, options: { staleDays: 30 } },
    });
  });
});

describe.each(STORE_KINDS)('the audit log (%s)', (kind) => {
  let db: TestStore;

  async function entries(): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for await (const e of new AuditLogRepository(db.store).entries()) out.push(e);
    return out;
  }

  beforeAll(async () => {
    db = await openTestStore(kind);
  });
  afterAll(async () => db?.drop());

  it('records connector add, edit, activation and removal with before and after, never the secret', async () => {
    const repo = new ConnectorRepository(db.store, TEST_SECRETS);
    const created = (await repo.byId(await addOfflineConnector(db.store, 'lab', {}, 'default', SECRET)))!;
    await auditConnectorAdded(db.store, carol, created);
    const edited = await repo.update(created.id, {
      options: parseConnectorOptions({ ...created.options, actions: true, staleDays: 30 }),
      credentials: { clientSecret: NEW_SECRET },
    });
    await auditConnectorEdited(db.store, carol, created, edited, true);
    const paused = await repo.update(created.id, { active: false });
    await auditConnectorEdited(db.store, carol, edited, paused, false);
    await repo.remove(created.id);
    await auditConnectorRemoved(db.store, carol, paused, false);

    const log = await entries();
    expect(log.map((e) => [e.action, e.actor, e.actorKind, e.target, e.outcome])).toEqual([
      ['connector.add', 'carol', 'cli', 'lab', 'succeeded'],
      ['connector.edit', 'carol', 'cli', 'lab', 'succeeded'],
      ['connector.deactivate', 'carol', 'cli', 'lab', 'succeeded'],
      ['connector.remove', 'carol', 'cli', 'lab', 'succeeded'],
    ]);
    expect(log[0]!.after).toMatchObject({ name: 'lab', credential: 'client secret', active: true });
    expect(log[1]).toMatchObject({
      before: { credential: 'client secret', options: { actions: false, staleDays: 0 } },
      after: { credential: 'client secret (replaced)', options: { actions: true, staleDays: 30 } },
    });
    expect(log[2]).toMatchObject({ before: { active: true }, after: { active: false } });
    expect(log[3]!.before).toMatchObject({ name: 'lab', active: false });
    // Every column of every row, as stored.
    const raw = JSON.stringify(await db.store.db.selectFrom('auditLog').selectAll().execute());
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(NEW_SECRET);
    expect(raw).not.toContain(TEST_SECRETS.seal(SECRET).slice(0, 12));
  });

  it('is append-only: updates and deletes are refused by the database', async () => {
    await recordAudit(db.store, carol, {
      action: 'scoring.set',
      target: { kind: 'connector', name: 'lab' },
      connector: 'lab',
      before: { rows: [] },
      after: { rows: [{ match: 'Critical', severity: 5, score: 100 }] },
      outcome: 'succeeded',
    });
    const count = (await entries()).length;
    await expect(db.store.db.updateTable('auditLog').set({ actor: 'mallory' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.store.db.deleteFrom('auditLog').execute()).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log WHERE id = 1`.execute(db.store.db)).rejects.toThrow(/append-only/);
    const after = await entries();
    expect(after).toHaveLength(count);
    expect(after.some((e) => e.actor === 'mallory')).toBe(false);
  });
});
