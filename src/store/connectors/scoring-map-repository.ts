import {
  DEFAULT_SCORING_MAP,
  type ScoringMap,
  validateScoringMap,
} from '../../normalize/scoring/scoring-map.js';
import type { Store } from '../db/store.js';

/** A connector's scoring map as stored, or the built-in default when the user set none. */
export interface StoredScoringMap {
  map: ScoringMap;
  /** False when the connector uses {@link DEFAULT_SCORING_MAP}. */
  custom: boolean;
  updatedAt: string | null;
}

/** Reads and writes per-connector scoring maps (migration 0002, docs/data-model.md#scoring-map). */
export class ScoringMapRepository {
  constructor(private readonly store: Store) {}

  async get(connectorId: number): Promise<StoredScoringMap> {
    const row = await this.store.db
      .selectFrom('scoringMaps')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .executeTakeFirst();
    if (!row) return { map: DEFAULT_SCORING_MAP, custom: false, updatedAt: null };
    // Stored maps were validated on the way in; validating again fills nothing but guards hand edits.
    const map = validateScoringMap({
      rows: JSON.parse(row.rows) as unknown,
      defaultSeverity: Number(row.defaultSeverity),
      defaultScore: Number(row.defaultScore),
    });
    return { map, custom: true, updatedAt: row.updatedAt };
  }

  /** Stores a validated map, replacing the previous one. */
  async set(connectorId: number, map: ScoringMap, at: string): Promise<void> {
    const values = {
      rows: JSON.stringify(map.rows),
      defaultSeverity: map.defaultSeverity,
      defaultScore: map.defaultScore,
      updatedAt: at,
    };
    await this.store.db
      .insertInto('scoringMaps')
      .values({ connectorId, ...values })
      .onConflict((oc) => oc.column('connectorId').doUpdateSet(values))
      .execute();
  }

  /** Back to the built-in default map. */
  async reset(connectorId: number): Promise<void> {
    await this.store.db.deleteFrom('scoringMaps').where('connectorId', '=', connectorId).execute();
  }
}
