import type { Kysely } from 'kysely';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/** A host's `profiles`: the names of the profiles it belongs to, without repeats, in name order. */
export function profileNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/**
 * Adds `profiles` to a page of hosts: the names of the dynamic profiles the host belongs to, from every
 * connector, without repeats, in name order. `known`: those names for a page of one host, already read.
 */
export async function withProfiles(db: AnyDb, rows: Record<string, unknown>[], known?: string[]) {
  if (rows.length === 0) return rows;
  if (known) {
    for (const r of rows) r.profiles = [...known];
    return rows;
  }
  const memberships = await db
    .selectFrom('hostProfiles')
    .innerJoin('profiles', 'profiles.id', 'hostProfiles.profileId')
    .select(['hostProfiles.hostId', 'profiles.name'])
    .where(
      'hostProfiles.hostId',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const byHost = new Map<number, Set<string>>();
  for (const m of memberships) {
    const id = Number(m.hostId);
    const names = byHost.get(id) ?? new Set<string>();
    names.add(String(m.name));
    byHost.set(id, names);
  }
  // In place, as every enrichment of a page (read-records.ts).
  for (const r of rows) r.profiles = profileNames(byHost.get(Number(r.id)) ?? []);
  return rows;
}

/** Adds `hostCount` (members) and `connector` (its name) to a page of profiles. */
export async function withProfileCounts(db: AnyDb, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return rows;
  const counts = await db
    .selectFrom('hostProfiles')
    .select(['profileId', (eb) => eb.fn.countAll().as('n')])
    .where(
      'profileId',
      'in',
      rows.map((r) => r.id),
    )
    .groupBy('profileId')
    .execute();
  const byProfile = new Map(counts.map((c) => [Number(c.profileId), Number(c.n)]));
  const connectors = await db
    .selectFrom('connectors')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(rows.map((r) => r.connectorId))])
    .execute();
  const names = new Map(connectors.map((c) => [Number(c.id), c.name]));
  for (const r of rows) {
    r.connector = names.get(Number(r.connectorId)) ?? null;
    r.hostCount = byProfile.get(Number(r.id)) ?? 0;
  }
  return rows;
}
