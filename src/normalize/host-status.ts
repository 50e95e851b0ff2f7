/**
 * A host's status (docs/data-model.md#host): `active`; `stale` (not seen for `staleDays`); `excluded`
 * (Defender excludes it, or never scanned); `merged` (folded into another host); `retained` (its
 * connector was removed). The store holds exactly these words, in this case: the hosts table's
 * `status` column is typed with them, so every write through the schema keeps to them, and queries
 * compare the column as it is (src/store/query/stored-forms.ts).
 */
export const HOST_STATUSES = ['active', 'stale', 'excluded', 'merged', 'retained'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];
