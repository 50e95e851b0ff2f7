import { ProfileWriter } from '../../store/hosts/profile-writer.js';
import type { SyncContext } from '../sync-context.js';

export const PROFILES_STREAM = 'profiles';

/**
 * Dynamic profiles, after machines: with the connector's `profiles`
 * option on, OS and OS_VERSION profiles follow the hosts; with it off, its profiles are removed.
 */
export async function syncProfiles(ctx: SyncContext): Promise<void> {
  const counters = ctx.counters(PROFILES_STREAM);
  const writer = new ProfileWriter(ctx.store);
  if (!ctx.connector.options.profiles) {
    const removed = await writer.removeForConnector(ctx.connector.id);
    if (removed > 0) counters.note = `profiles option off: ${removed} profiles removed`;
    counters.outcome = 'complete';
    return;
  }
  ctx.progress.start(PROFILES_STREAM);
  // Only the hosts whose sources this run changed are looked at again, or none when none did: a
  // re-sync of an unchanged snapshot stays cheap (docs/benchmarks.md).
  const r = await writer.refreshAfterRun(
    ctx.connector.id,
    ctx.now().toISOString(),
    ctx.runId,
    ctx.hosts.profileHostsChanged(ctx.connector.id, ctx.runId),
  );
  // The counters count hosts' profile memberships (nothing is fetched: profiles derive from hosts).
  counters.inserted = r.assigned;
  counters.closed = r.unassigned;
  counters.unchanged = r.memberships - r.assigned;
  if (r.profilesAdded > 0 || r.profilesRemoved > 0)
    counters.note = `${r.profilesAdded} profiles created, ${r.profilesRemoved} removed; the counts are host memberships`;
  counters.outcome = 'complete';
}
