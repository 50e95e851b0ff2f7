import type { ActionKind } from '../mde/actions/machine-actions.js';

/**
 * The WindowsDefenderATP application permission each action needs (docs/mde-api.md#permissions): release
 * is covered by the isolation permission.
 */
export const ACTION_PERMISSIONS: Record<ActionKind, string> = {
  isolate: 'Machine.Isolate',
  unisolate: 'Machine.Isolate',
  scan: 'Machine.Scan',
};

/** Every permission a connector with actions enabled needs on top of its data types. */
export const ALL_ACTION_PERMISSIONS = [...new Set(Object.values(ACTION_PERMISSIONS))];

/** What to do about a missing permission, in the words of the Entra portal. */
export function grantPermissionFix(permission: string): string {
  return `add the WindowsDefenderATP application permission ${permission} to the app registration and grant admin consent`;
}
