/**
 * Device groups. rbacGroupId is a number on the wire (docs/mde-api.md#field-casing); devices without a group
 * show `Unassigned` (docs/mde-api.md#vulnerability-rows). The count is prime so that a group move with any
 * step in [1, count-1] always lands on another group.
 */

export interface RbacGroup {
  id: number;
  name: string;
}

export const UNASSIGNED_GROUP: RbacGroup = { id: 0, name: 'Unassigned' };

export const RBAC_GROUPS: readonly RbacGroup[] = [
  UNASSIGNED_GROUP,
  { id: 140, name: 'The-A-Team' },
  { id: 11, name: 'London' },
  { id: 23, name: 'Tokyo' },
  { id: 65, name: 'Center' },
  { id: 201, name: 'Servers-Prod' },
  { id: 202, name: 'Servers-Dev' },
  { id: 310, name: 'Finance' },
  { id: 311, name: 'Engineering' },
  { id: 420, name: 'Sales EMEA' },
  { id: 512, name: 'Kiosks' },
  { id: 777, name: 'VIP (Executives)' },
  { id: 808, name: 'Mobile Devices' },
];

/** Share of devices in each group at the origin, per mille (Unassigned first). */
export const RBAC_WEIGHTS: readonly number[] = [100, 60, 120, 90, 80, 70, 50, 80, 110, 90, 40, 20, 90];

/** Epochs between two group moves of one device (about 1 device in 2,000 per epoch). */
export const RBAC_MOVE_PERIOD = 2000;

export function groupIndexAt(u: number): number {
  const total = RBAC_WEIGHTS.reduce((a, b) => a + b, 0);
  let acc = 0;
  const target = u * total;
  for (let i = 0; i < RBAC_WEIGHTS.length; i++) {
    acc += RBAC_WEIGHTS[i]!;
    if (target < acc) return i;
  }
  return 0;
}
