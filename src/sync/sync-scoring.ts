import type { NormalizedFinding } from '../normalize/model.js';
import { compileScorer, type Scorer, type ScoringContext } from '../normalize/scoring/compile-scorer.js';
import type { ScoringMap } from '../normalize/scoring/scoring-map.js';
import { ScoringMapRepository } from '../store/connectors/scoring-map-repository.js';
import type { Store } from '../store/db/store.js';
import { type RescoreResult, rescoreFindings } from '../store/derive/finding-rescorer.js';
import { changedKeys, loadScoringContext } from '../store/derive/scoring-inputs.js';
import { lastFindingWrite } from '../store/findings/finding-repository.js';
import type { ProgressReporter } from './progress.js';

export const SCORING_STAGE = 'scoring';

/**
 * Scores findings during a sync with the connector's map and keeps stored scores
 * right when a finding's other inputs change:
 * - {@link begin} (before any stream) remembers the inputs as stored before the run (P0) and the
 *   highest finding id;
 * - {@link prepare} (after machines and definitions, before vulnerabilities) compiles the scorer from
 *   the inputs this run brought (P1); every finding written gets its severity and score from it;
 * - {@link finish} (after the streams) rescores the findings whose CVE factors or device value differ:
 *   old findings against P0 (their stored scores came from P0 or earlier inputs), and any finding
 *   against P1 when a later stream changed the inputs again; and every finding when the map itself
 *   was edited (`mdec scoring set`) while the run wrote with the old one. Unchanged rows are never
 *   written.
 */
export class SyncScoring {
  private scorer: Scorer | undefined;
  private during: ScoringContext | undefined;

  private constructor(
    private readonly store: Store,
    private readonly connectorId: number,
    private readonly map: ScoringMap,
    private readonly before: ScoringContext,
    /** The latest write time of the connector's findings when the run began; undefined: none stored. */
    private readonly writtenUpToBefore: string | undefined,
  ) {}

  static async begin(store: Store, connectorId: number): Promise<SyncScoring> {
    const { map } = await new ScoringMapRepository(store).get(connectorId);
    const before = await loadScoringContext(store, connectorId);
    return new SyncScoring(store, connectorId, map, before, await lastFindingWrite(store.db, connectorId));
  }

  /** Loads the inputs as this run left them so far and compiles the write path's scorer. */
  async prepare(): Promise<void> {
    this.during = await loadScoringContext(this.store, this.connectorId);
    this.scorer = compileScorer(this.map, this.during);
  }

  /** Sets severity and score of one finding about to be written (O(1) lookups). */
  readonly scoreFinding = (f: NormalizedFinding): void => {
    const s = this.scorer?.(f);
    if (!s) return;
    f.severity = s.severity;
    f.score = s.score;
  };

  /** Sets severity and score of findings about to be written (O(1) lookups per finding). */
  readonly scoreFindings = (findings: readonly NormalizedFinding[]): void => {
    for (const f of findings) this.scoreFinding(f);
  };

  /** Rescores the findings whose inputs changed during the run; undefined when none did. */
  async finish(
    at: string,
    progress: ProgressReporter,
    signal?: AbortSignal,
  ): Promise<RescoreResult | undefined> {
    const after = await loadScoringContext(this.store, this.connectorId);
    const { map } = await new ScoringMapRepository(this.store).get(this.connectorId);
    if (JSON.stringify(map) !== JSON.stringify(this.map)) {
      // The map was edited while this run wrote findings with the old one: rescore them all.
      return this.rescore(map, after, at, progress, undefined, undefined, signal);
    }
    const cveIds = changedKeys(this.before.cves, after.cves);
    const machineIds = changedKeys(this.before.deviceValues, after.deviceValues);
    let writtenUpTo: string | undefined = this.writtenUpToBefore;
    /** No finding was stored before the run: those it wrote were scored with the inputs it ends with. */
    let nothingToRescore = writtenUpTo === undefined;
    if (this.during) {
      const laterCves = changedKeys(this.during.cves, after.cves);
      const laterMachines = changedKeys(this.during.deviceValues, after.deviceValues);
      if (laterCves.size + laterMachines.size > 0) {
        // Findings of this run were scored with inputs that changed again: look at every one.
        writtenUpTo = undefined;
        nothingToRescore = false;
        for (const k of laterCves) cveIds.add(k);
        for (const k of laterMachines) machineIds.add(k);
      }
    }
    if (cveIds.size + machineIds.size === 0 || nothingToRescore) return undefined;
    return this.rescore(this.map, after, at, progress, { cveIds, machineIds }, writtenUpTo, signal);
  }

  private async rescore(
    map: ScoringMap,
    context: ScoringContext,
    at: string,
    progress: ProgressReporter,
    only: { cveIds: Set<string>; machineIds: Set<string> } | undefined,
    writtenUpTo: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RescoreResult> {
    progress.start(SCORING_STAGE);
    const result = await rescoreFindings(this.store, {
      connectorId: this.connectorId,
      scorer: compileScorer(map, context),
      at,
      ...(only ? { only } : {}),
      ...(writtenUpTo === undefined ? {} : { writtenUpTo }),
      onProgress: (done) => progress.update(SCORING_STAGE, done),
      ...(signal ? { signal } : {}),
    });
    progress.finish(SCORING_STAGE, 'complete', `${result.changed} of ${result.examined} findings rescored`);
    return result;
  }
}
