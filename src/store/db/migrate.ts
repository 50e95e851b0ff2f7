import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import { ensureFindingIndexes } from '../findings/first-load-indexes.js';
import { initialSchema } from './migrations/0001-initial.js';
import { scoringSchema } from './migrations/0002-scoring.js';
import { definitionsAndHostRisk } from './migrations/0003-definitions-and-host-risk.js';
import { identityAndProfiles } from './migrations/0004-identity-and-profiles.js';
import { transformMapsSchema } from './migrations/0005-transform-maps.js';
import { changeIndexesSchema } from './migrations/0006-change-indexes.js';
import { sourceLookupIndexSchema } from './migrations/0007-source-lookup-index.js';
import { syncLeasesSchema } from './migrations/0008-sync-leases.js';
import { narrowFindingsSchema } from './migrations/0009-narrow-findings.js';
import { machineFieldsAndAddressesSchema } from './migrations/0010-machine-fields-and-addresses.js';
import { initialLookbackUnset } from './migrations/0011-initial-lookback-unset.js';
import { jobsSchema } from './migrations/0012-jobs.js';
import { machineActionsAndAuditLogSchema } from './migrations/0013-machine-actions-and-audit-log.js';
import { usersSessionsTokensSchema } from './migrations/0014-users-sessions-tokens.js';
import { deviceOpenDigestSchema } from './migrations/0016-device-open-digest.js';
import { runLiveProgressSchema } from './migrations/0017-run-live-progress.js';
import { lostJobCountSchema } from './migrations/0019-lost-job-count.js';
import type { SqlDialect } from './sql-dialect.js';
import type { Store } from './store.js';

/** Ordered migrations; names sort in the order they must run. Never edit one that has shipped. */
function migrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(dialect),
    '0002-scoring': scoringSchema(dialect),
    '0003-definitions-and-host-risk': definitionsAndHostRisk(dialect),
    '0004-identity-and-profiles': identityAndProfiles(dialect),
    '0005-transform-maps': transformMapsSchema(dialect),
    '0006-change-indexes': changeIndexesSchema(),
    '0007-source-lookup-index': sourceLookupIndexSchema(),
    '0008-sync-leases': syncLeasesSchema(),
    '0009-narrow-findings': narrowFindingsSchema(dialect),
    '0010-machine-fields-and-addresses': machineFieldsAndAddressesSchema(),
    '0011-initial-lookback-unset': initialLookbackUnset(),
    '0013-machine-actions-and-audit-log': machineActionsAndAuditLogSchema(dialect),
    '0012-jobs': jobsSchema(dialect),
    '0014-users-sessions-tokens': usersSessionsTokensSchema(dialect),
    '0016-device-open-digest': deviceOpenDigestSchema(),
    '0017-run-live-progress': runLiveProgressSchema(),
    '0019-lost-job-count': lostJobCountSchema(),
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

export class MigrationError extends Error {
  readonly code = 'migration' as const;
}

/** Brings the schema up to date; a failed migration rolls back and throws with its name. */
export async function migrateToLatest(
  store: Pick<Store, 'db' | 'dialect' | 'engine'>,
): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: store.db.withoutPlugins(),
    provider: new StaticProvider(store.dialect),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = String((result.error as Error).message ?? result.error);
    throw new MigrationError(
      failed ? `migration ${failed} failed: ${reason}` : `updating the database schema failed: ${reason}`,
      { cause: result.error },
    );
  }
  // A first load killed before it rebuilt the findings indexes it deferred (first-load-indexes.ts)
  // left them missing; they are built here, on the next open.
  await ensureFindingIndexes(store);
  return result;
}
