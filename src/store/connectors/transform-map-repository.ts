import type {
  CustomFieldEntity,
  CustomFieldMapping,
  CustomFieldType,
} from '../../normalize/custom-fields.js';
import type { Store } from '../db/store.js';

/** A connector's cloned transform map and its custom field mappings. */
export interface TransformMap {
  connectorId: number;
  name: string;
  basedOn: string;
  createdAt: string;
  updatedAt: string;
  fields: CustomFieldMapping[];
}

/** A custom field mapping that conflicts with what is stored; the CLI reports it as bad input. */
export class TransformMapConflictError extends Error {
  readonly code = 'transform-map-conflict' as const;
}

/** More custom fields than this per connector is a mistake, and each one is work on every record. */
export const MAX_CUSTOM_FIELDS = 100;

/**
 * Stores transform maps (migration 0005). A connector without a row uses the out-of-the-box map;
 * cloning gives it its own map, to which custom field mappings are added; reset drops the clone.
 */
export class TransformMapRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The connector's clone, or undefined when it uses the default map. */
  async get(connectorId: number): Promise<TransformMap | undefined> {
    const map = await this.store.db
      .selectFrom('transformMaps')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .executeTakeFirst();
    if (!map) return undefined;
    return {
      connectorId: Number(map.connectorId),
      name: map.name,
      basedOn: map.basedOn,
      createdAt: map.createdAt,
      updatedAt: map.updatedAt,
      fields: await this.customFields(connectorId),
    };
  }

  /** The connector's custom field mappings, oldest first (none when it uses the default map). */
  async customFields(connectorId: number): Promise<CustomFieldMapping[]> {
    const rows = await this.store.db
      .selectFrom('transformMapFields')
      .select(['entity', 'sourceField', 'dataType', 'targetField'])
      .where('connectorId', '=', connectorId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      entity: r.entity as CustomFieldEntity,
      sourceField: r.sourceField,
      dataType: r.dataType as CustomFieldType,
      targetField: r.targetField,
    }));
  }

  /** Clones the default map for the connector; false when it already has its own map. */
  async clone(connectorId: number, name: string): Promise<boolean> {
    if (await this.get(connectorId)) return false;
    const at = this.now().toISOString();
    await this.store.db
      .insertInto('transformMaps')
      .values({ connectorId, name, basedOn: 'default', createdAt: at, updatedAt: at })
      .execute();
    return true;
  }

  /**
   * Adds a custom field mapping, cloning the default map first when the connector has none (the
   * seed clones a map to edit it). Throws {@link TransformMapConflictError} for a target in use.
   * @returns whether the default map was cloned for it.
   */
  async addField(connectorId: number, mapping: CustomFieldMapping, cloneName: string): Promise<boolean> {
    return this.store.db.transaction().execute(async (trx) => {
      const at = this.now().toISOString();
      const map = await trx
        .selectFrom('transformMaps')
        .select('connectorId')
        .where('connectorId', '=', connectorId)
        .executeTakeFirst();
      if (!map) {
        await trx
          .insertInto('transformMaps')
          .values({ connectorId, name: cloneName, basedOn: 'default', createdAt: at, updatedAt: at })
          .execute();
      }
      const existing = await trx
        .selectFrom('transformMapFields')
        .select(['entity', 'sourceField', 'targetField'])
        .where('connectorId', '=', connectorId)
        .execute();
      const clash = existing.find(
        (r) => r.entity === mapping.entity && r.targetField === mapping.targetField,
      );
      if (clash) {
        throw new TransformMapConflictError(
          `--target: ${mapping.entity} ${mapping.targetField} is already mapped from ${clash.sourceField}; remove that mapping first`,
        );
      }
      if (existing.length >= MAX_CUSTOM_FIELDS) {
        throw new TransformMapConflictError(
          `the connector already has ${MAX_CUSTOM_FIELDS} custom field mappings, the most allowed`,
        );
      }
      await trx
        .insertInto('transformMapFields')
        .values({ connectorId, ...mapping, createdAt: at })
        .execute();
      await trx
        .updateTable('transformMaps')
        .set({ updatedAt: at })
        .where('connectorId', '=', connectorId)
        .execute();
      return !map;
    });
  }

  /** Removes the custom field mapping into `targetField`; false when there is none. */
  async removeField(connectorId: number, entity: CustomFieldEntity, targetField: string): Promise<boolean> {
    const r = await this.store.db
      .deleteFrom('transformMapFields')
      .where('connectorId', '=', connectorId)
      .where('entity', '=', entity)
      .where('targetField', '=', targetField)
      .executeTakeFirst();
    const removed = Number(r.numDeletedRows) > 0;
    if (removed) {
      await this.store.db
        .updateTable('transformMaps')
        .set({ updatedAt: this.now().toISOString() })
        .where('connectorId', '=', connectorId)
        .execute();
    }
    return removed;
  }

  /** Back to the out-of-the-box map: drops the clone and its custom fields. False when there was none. */
  async reset(connectorId: number): Promise<boolean> {
    return this.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('transformMapFields').where('connectorId', '=', connectorId).execute();
      const r = await trx
        .deleteFrom('transformMaps')
        .where('connectorId', '=', connectorId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
}
