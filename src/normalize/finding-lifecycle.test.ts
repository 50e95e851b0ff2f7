import { describe, expect, it } from 'vitest';
import {
  type ChangeEvent,
  decideForChange,
  decideForSnapshot,
  type FindingState,
} from './finding-lifecycle.js';

const T1 = '2026-11-01T06:00:00.000Z';
const T2 = '2026-11-01T12:00:00.000Z';
const T0 = '2026-11-01T00:00:00.000Z';

const open: FindingState = {
  status: 'open',
  stateTime: T1,
  rbacGroupId: 1,
  lastFixed: null,
  reopenedCount: 0,
  contentHash: 'h',
};
const fixed: FindingState = { ...open, status: 'fixed', lastFixed: T1 };
const ev = (
  status: ChangeEvent['status'],
  time: string,
  rbacGroupId = 1,
  contentHash = 'h',
): ChangeEvent => ({
  status,
  time,
  rbacGroupId,
  contentHash,
});

describe('finding lifecycle: full snapshots', () => {
  it.each([
    [undefined, 'h', 'insert'],
    [open, 'h', 'touch'],
    [open, 'other', 'update'],
    [fixed, 'h', 'reopen'],
  ] as const)('stored %o with hash %s → %s', (stored, hash, expected) => {
    expect(decideForSnapshot(stored, hash)).toBe(expected);
  });
});

describe('finding lifecycle: change events', () => {
  it.each([
    ['New on nothing inserts', undefined, ev('New', T2), { action: 'insert' }],
    ['Fixed on nothing is skipped', undefined, ev('Fixed', T2), { action: 'skip', reason: 'not-stored' }],
    ['Fixed closes an open finding', open, ev('Fixed', T2), { action: 'close' }],
    ['New reopens a fixed finding and counts it', fixed, ev('New', T2), { action: 'update', reopened: true }],
    [
      'Updated rewrites an open finding whose content changed',
      open,
      ev('Updated', T2, 1, 'new'),
      { action: 'update', reopened: false },
    ],
    [
      'an older event than the stored state is ignored (overlap)',
      open,
      ev('Fixed', T0),
      { action: 'skip', reason: 'older' },
    ],
    ['the same event again is ignored', open, ev('New', T1), { action: 'skip', reason: 'same' }],
    ['Fixed twice is ignored', fixed, ev('Fixed', T2), { action: 'skip', reason: 'same' }],
    [
      'RBAC move, Fixed after New: ignored',
      open,
      ev('Fixed', T1, 7),
      { action: 'skip', reason: 'rbac-move' },
    ],
    [
      'RBAC move, New after Fixed: undone without a reopening',
      fixed,
      ev('New', T1, 7),
      { action: 'update', reopened: false },
    ],
  ] as const)('%s', (_name, stored, event, expected) => {
    expect(decideForChange(stored, event)).toEqual(expected);
  });
});
