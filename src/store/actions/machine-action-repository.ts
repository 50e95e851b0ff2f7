import type { Insertable, Selectable } from 'kysely';
import { QueryTemplates } from '../db/query-template.js';
import type { MachineActionTable } from '../db/schema.js';
import type { Store } from '../db/store.js';

/**
 * A machine action requested through the connector, as stored (docs/actions.md#what-is-stored): the
 * table's row without MDE's raw answer, its connector named `connector`.
 */
export type StoredMachineAction = Omit<Selectable<MachineActionTable>, 'connectorName' | 'raw'> & {
  connector: string;
};

/** What a status read from MDE changes on a stored action. */
export interface ActionStatusUpdate {
  status: string;
  error: string | null;
  lastUpdateAt: string | null;
  checkedAt: string;
  raw: string;
}

function toAction(row: Selectable<MachineActionTable>): StoredMachineAction {
  return {
    id: Number(row.id),
    connectorId: row.connectorId === null ? null : Number(row.connectorId),
    connector: row.connectorName,
    hostId: row.hostId === null ? null : Number(row.hostId),
    machineId: row.machineId,
    hostName: row.hostName,
    action: row.action,
    actionType: row.actionType,
    comment: row.comment,
    requestedBy: row.requestedBy,
    requestedVia: row.requestedVia,
    requestedAt: row.requestedAt,
    mdeActionId: row.mdeActionId,
    status: row.status,
    outcome: row.outcome,
    error: row.error,
    mdeRequestor: row.mdeRequestor,
    lastUpdateAt: row.lastUpdateAt,
    checkedAt: row.checkedAt,
  };
}

/** Lists of actions, newest first: every host's, or one host's (the first value); the last value is the limit. */
const ACTION_LISTS = new QueryTemplates<{ ofHost: boolean }>(
  (shape) => String(shape.ofHost),
  (store, shape, values) => {
    let query = store.db.selectFrom('machineActions').selectAll();
    if (shape.ofHost) query = query.where('hostId', '=', values[0] as number);
    return query.orderBy('id', 'desc').limit(values[values.length - 1] as number);
  },
);

/** Reads and writes `machine_actions` (migration 0013). */
export class MachineActionRepository {
  constructor(private readonly store: Store) {}

  async insert(row: Insertable<MachineActionTable>): Promise<StoredMachineAction> {
    const inserted = await this.store.db
      .insertInto('machineActions')
      .values(row)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(inserted);
  }

  async byId(id: number): Promise<StoredMachineAction | undefined> {
    const row = await this.store.db
      .selectFrom('machineActions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAction(row);
  }

  /** The newest stored request that points at this MDE action. */
  async byMdeActionId(mdeActionId: string): Promise<StoredMachineAction | undefined> {
    const row = await this.store.db
      .selectFrom('machineActions')
      .selectAll()
      .where('mdeActionId', '=', mdeActionId)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && toAction(row);
  }

  /** Newest first; only one host's when `hostId` is given. */
  async list(filter: { hostId?: number; limit?: number } = {}): Promise<StoredMachineAction[]> {
    const limit = filter.limit ?? 1000;
    const rows = await ACTION_LISTS.run<Selectable<MachineActionTable>>(
      this.store,
      { ofHost: filter.hostId !== undefined },
      filter.hostId !== undefined ? [filter.hostId, limit] : [limit],
    );
    return rows.map(toAction);
  }

  async updateStatus(id: number, update: ActionStatusUpdate): Promise<StoredMachineAction> {
    const row = await this.store.db
      .updateTable('machineActions')
      .set(update)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(row);
  }
}
