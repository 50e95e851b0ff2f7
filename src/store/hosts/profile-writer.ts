import { type RawBuilder, sql, type Transaction } from 'kysely';
import { chunk } from '../db/chunk.js';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { forgetProfileFreshness, markProfilesFresh, profileFreshness } from './profile-freshness.js';

/** Profile kinds: one per operating system, one per operating system and release. */
export const PROFILE_KINDS = ['OS', 'OS_VERSION'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/**
 * Match scores (docs/data-model.md#profile): how completely Defender's OS details back a membership.
 * Platform and release known: the host's OS is known exactly. Platform only: the family is known, the
 * release is not. Both are in the "Very High" band (80 and above).
 */
export const MATCH_SCORE_EXACT = 100;
export const MATCH_SCORE_PLATFORM_ONLY = 80;

export interface ProfileRefresh {
  profilesAdded: number;
  profilesRemoved: number;
  assigned: number;
  unassigned: number;
  /** Memberships the connector holds after the refresh. */
  memberships: number;
}

/**
 * Dynamic `OS` and `OS_VERSION` profiles of one connector, kept in step
 * with its host sources by a handful of set-based statements, whatever the number of hosts.
 */
export class ProfileWriter {
  constructor(private readonly store: Store) {}

  /**
   * The refresh after a sync run (docs/benchmarks.md#targets): nothing to do when no source the profiles read
   * changed since the last refresh; only the hosts `changedHosts` names when run `runId` alone
   * changed sources since then (the host writer's record, see profile-freshness.ts); else every
   * host. The result is the one {@link refresh} of every host would give.
   */
  async refreshAfterRun(
    connectorId: number,
    at: string,
    runId: number,
    changedHosts: ReadonlySet<number> | undefined,
  ): Promise<ProfileRefresh> {
    const state = await profileFreshness(this.store.db, connectorId);
    if (state && 'fresh' in state) {
      return {
        profilesAdded: 0,
        profilesRemoved: 0,
        assigned: 0,
        unassigned: 0,
        memberships: await this.memberships(this.store.db, connectorId),
      };
    }
    if (state?.changedInRun === runId && changedHosts) return this.refresh(connectorId, at, changedHosts);
    return this.refresh(connectorId, at);
  }

  /**
   * Creates the profiles the connector's hosts call for, assigns each host (by its most recently
   * seen source of this connector) with its match score, drops memberships that no longer hold and
   * removes profiles left without hosts. One transaction. With `hosts`, only those hosts are
   * reassigned: the caller knows the others' sources did not change since they were assigned.
   */
  async refresh(connectorId: number, at: string, hosts?: ReadonlySet<number>): Promise<ProfileRefresh> {
    return this.store.db.transaction().execute(async (trx) => {
      await this.scratchTables(trx);
      let inScope: RawBuilder<unknown> = sql``;
      if (hosts) {
        for (const part of chunk([...hosts], 500)) {
          await sql`INSERT INTO profile_scope (host_id) VALUES ${sql.join(part.map((id) => sql`(${id})`))}`.execute(
            trx,
          );
        }
        inScope = sql` AND host_id IN (SELECT host_id FROM profile_scope)`;
      }
      // `version` is the release (e.g. 22H2); sources written before it had a column keep it in extra
      // until their next sync. osVersion holds the release when MDE sent no version.
      const release =
        this.store.dialect === 'sqlite'
          ? sql`COALESCE(hs.version, json_extract(hs.extra, '$.version'))`
          : sql`COALESCE(hs.version, hs.extra::jsonb ->> 'version')`;
      await sql`
        INSERT INTO profile_hosts (host_id, platform, os_release)
        SELECT host_id, platform, os_release FROM (
          SELECT hs.host_id, TRIM(hs.os_platform) AS platform,
                 NULLIF(TRIM(COALESCE(${release}, hs.os_version, '')), '') AS os_release,
                 ROW_NUMBER() OVER (
                   PARTITION BY hs.host_id ORDER BY COALESCE(hs.last_seen, '') DESC, hs.id DESC
                 ) AS rn
          FROM host_sources hs
          WHERE hs.connector_id = ${connectorId}${inScope}
        ) x
        WHERE rn = 1 AND platform IS NOT NULL AND platform <> ''`.execute(trx);
      const added = await sql`
        INSERT INTO profiles (connector_id, kind, name, os_platform, os_version, created_at, updated_at)
        SELECT CAST(${connectorId} AS integer), w.kind, w.name, w.platform, w.os_release,
               CAST(${at} AS text), CAST(${at} AS text)
        FROM (
          SELECT DISTINCT 'OS' AS kind, platform AS name, platform, CAST(NULL AS text) AS os_release
          FROM profile_hosts
          UNION
          SELECT DISTINCT 'OS_VERSION', platform || ' ' || os_release, platform, os_release
          FROM profile_hosts WHERE os_release IS NOT NULL
        ) w
        WHERE NOT EXISTS (
          SELECT 1 FROM profiles p WHERE p.connector_id = ${connectorId} AND p.kind = w.kind AND p.name = w.name
        )`.execute(trx);
      await sql`
        INSERT INTO profile_wanted (host_id, profile_id, score)
        SELECT ph.host_id, p.id,
               CASE WHEN ph.os_release IS NULL THEN ${sql.lit(MATCH_SCORE_PLATFORM_ONLY)} ELSE ${sql.lit(MATCH_SCORE_EXACT)} END
        FROM profile_hosts ph
        JOIN profiles p ON p.connector_id = ${connectorId} AND p.kind = 'OS' AND p.name = ph.platform`.execute(
        trx,
      );
      await sql`
        INSERT INTO profile_wanted (host_id, profile_id, score)
        SELECT ph.host_id, p.id, ${sql.lit(MATCH_SCORE_EXACT)}
        FROM profile_hosts ph
        JOIN profiles p ON p.connector_id = ${connectorId} AND p.kind = 'OS_VERSION'
          AND p.name = ph.platform || ' ' || ph.os_release
        WHERE ph.os_release IS NOT NULL`.execute(trx);
      const unassigned = await sql`
        DELETE FROM host_profiles
        WHERE connector_id = ${connectorId}${inScope} AND NOT EXISTS (
          SELECT 1 FROM profile_wanted w
          WHERE w.host_id = host_profiles.host_id AND w.profile_id = host_profiles.profile_id
            AND w.score = host_profiles.match_score
        )`.execute(trx);
      const assigned = await sql`
        INSERT INTO host_profiles (host_id, profile_id, connector_id, match_score, assigned_at)
        SELECT w.host_id, w.profile_id, CAST(${connectorId} AS integer), w.score, CAST(${at} AS text)
        FROM profile_wanted w
        WHERE NOT EXISTS (
          SELECT 1 FROM host_profiles hp WHERE hp.host_id = w.host_id AND hp.profile_id = w.profile_id
        )`.execute(trx);
      // A profile whose hosts are all gone goes too.
      const removed = await sql`
        DELETE FROM profiles
        WHERE connector_id = ${connectorId}
          AND NOT EXISTS (SELECT 1 FROM host_profiles hp WHERE hp.profile_id = profiles.id)`.execute(trx);
      await this.clearScratch(trx);
      await markProfilesFresh(trx, connectorId, at);
      const memberships = await this.memberships(trx, connectorId);
      return {
        profilesAdded: Number(added.numAffectedRows ?? 0),
        profilesRemoved: Number(removed.numAffectedRows ?? 0),
        assigned: Number(assigned.numAffectedRows ?? 0),
        unassigned: Number(unassigned.numAffectedRows ?? 0),
        memberships,
      };
    });
  }

  private async memberships(db: Store['db'] | Transaction<Database>, connectorId: number): Promise<number> {
    const held = await db
      .selectFrom('hostProfiles')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('connectorId', '=', connectorId)
      .executeTakeFirstOrThrow();
    return Number(held.n);
  }

  /**
   * Removes a connector's profiles and memberships; hosts stay (turning the integration's
   * profiles off deletes its profiles, imported endpoints are retained).
   */
  async removeForConnector(connectorId: number): Promise<number> {
    return this.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('hostProfiles').where('connectorId', '=', connectorId).execute();
      await forgetProfileFreshness(trx, connectorId);
      const r = await trx.deleteFrom('profiles').where('connectorId', '=', connectorId).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }

  /** Per-connection scratch tables (TEMP), so that concurrent syncs of two connectors never meet. */
  private async scratchTables(trx: Transaction<Database>): Promise<void> {
    const onCommit = this.store.dialect === 'postgres' ? sql` ON COMMIT DELETE ROWS` : sql``;
    await sql`CREATE TEMP TABLE IF NOT EXISTS profile_hosts (
      host_id integer PRIMARY KEY, platform text NOT NULL, os_release text)${onCommit}`.execute(trx);
    await sql`CREATE TEMP TABLE IF NOT EXISTS profile_wanted (
      host_id integer NOT NULL, profile_id integer NOT NULL, score integer NOT NULL,
      PRIMARY KEY (host_id, profile_id))${onCommit}`.execute(trx);
    await sql`CREATE TEMP TABLE IF NOT EXISTS profile_scope (host_id integer PRIMARY KEY)${onCommit}`.execute(
      trx,
    );
    await this.clearScratch(trx);
  }

  private async clearScratch(trx: Transaction<Database>): Promise<void> {
    await sql`DELETE FROM profile_hosts`.execute(trx);
    await sql`DELETE FROM profile_wanted`.execute(trx);
    await sql`DELETE FROM profile_scope`.execute(trx);
  }
}
