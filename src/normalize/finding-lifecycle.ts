/**
 * The finding lifecycle (docs/data-model.md#finding-lifecycle, docs/sync.md) as pure decisions: open, fixed,
 * reopened, with the times that go with them. The writers apply these decisions; nothing here touches a
 * database.
 */
import type { FINDING_STATUSES } from './connector-options.js';

/** `open` or `fixed`, in this case: the findings table's `status` column is typed with it. */
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** What the store holds about a finding that matters to its lifecycle. */
export interface FindingState {
  status: FindingStatus;
  /** Time of the snapshot or change event that last set the state. */
  stateTime: string;
  rbacGroupId: number | null;
  lastFixed: string | null;
  reopenedCount: number;
  contentHash: string;
}

export type SnapshotDecision =
  /** Not stored yet: insert as open. */
  | 'insert'
  /** Stored as fixed and present again: reopen and count it. */
  | 'reopen'
  /** Open and its content changed: rewrite it. */
  | 'update'
  /** Open and unchanged: only mark it seen. */
  | 'touch';

/** A full snapshot saw the finding (docs/sync.md). */
export function decideForSnapshot(stored: FindingState | undefined, contentHash: string): SnapshotDecision {
  if (!stored) return 'insert';
  if (stored.status === 'fixed') return 'reopen';
  return stored.contentHash === contentHash ? 'touch' : 'update';
}

/** One row of the change feed (docs/mde-api.md#delta-feed). */
export interface ChangeEvent {
  status: 'New' | 'Fixed' | 'Updated';
  /** ISO UTC. */
  time: string;
  rbacGroupId: number | null;
  contentHash: string;
}

export type ChangeDecision =
  | { action: 'skip'; reason: 'older' | 'same' | 'not-stored' | 'rbac-move' }
  | { action: 'insert' }
  | { action: 'update'; reopened: boolean }
  | { action: 'close' };

/**
 * Applies one change event to a stored finding. Events at or before the stored state time were
 * already applied (the feed overlaps, docs/mde-api.md#delta-feed), except for the two halves of an RBAC move,
 * which share one time: Fixed under the old group and New under the new one. That pair must leave
 * the finding open, in either order, and is not a reopening.
 */
export function decideForChange(stored: FindingState | undefined, event: ChangeEvent): ChangeDecision {
  if (!stored) {
    if (event.status === 'Fixed') return { action: 'skip', reason: 'not-stored' };
    return { action: 'insert' };
  }
  const sameGroup = stored.rbacGroupId === event.rbacGroupId;
  if (event.time < stored.stateTime) return { action: 'skip', reason: 'older' };
  if (event.time === stored.stateTime) {
    // Second half of an RBAC move, New after Fixed: undo the close without counting a reopening.
    if (
      event.status !== 'Fixed' &&
      stored.status === 'fixed' &&
      stored.lastFixed === event.time &&
      !sameGroup
    ) {
      return { action: 'update', reopened: false };
    }
    // Second half of an RBAC move, Fixed after New: the device still has it under its new group.
    if (event.status === 'Fixed' && !sameGroup) return { action: 'skip', reason: 'rbac-move' };
    return { action: 'skip', reason: 'same' };
  }
  if (event.status === 'Fixed') {
    return stored.status === 'open' ? { action: 'close' } : { action: 'skip', reason: 'same' };
  }
  if (stored.status === 'fixed') return { action: 'update', reopened: true };
  if (stored.contentHash === event.contentHash && sameGroup) return { action: 'skip', reason: 'same' };
  return { action: 'update', reopened: false };
}
