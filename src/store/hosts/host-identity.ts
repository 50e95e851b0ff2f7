import type BetterSqlite3 from 'better-sqlite3';
import type { ExpressionBuilder, Transaction } from 'kysely';
import {
  type CandidateHost,
  hostByRule,
  type IdentificationRule,
  type IdentificationRuleName,
  type Identifier,
  machineIdentifiers,
} from '../../normalize/identification-rules.js';
import type { NormalizedMachine } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import type { Database } from '../db/schema.js';
import { forEngine, type Store } from '../db/store.js';

/** A machine's resolved host and the rule that found it. */
export interface IdentityMatch {
  hostId: number;
  rule: IdentificationRuleName;
}

/**
 * Host identity across connectors: keeps `host_identifiers` in step with
 * host sources and resolves the machines of one batch against them with indexed lookups, a few
 * statements per batch (never one per device and rule).
 */
export class HostIdentity {
  private readonly insert: IdentifierInsert;

  constructor(store: Store) {
    this.insert = forEngine<IdentifierInsert>(store.engine, {
      sqlite: sqliteIdentifierInsert,
      postgres: () => kyselyIdentifierInsert,
    });
  }

  /**
   * Which existing host each new machine of `connectorId` is, by the enabled rules in order: for each
   * machine the first rule that points at exactly one host decides (see hostByRule). Only hosts
   * another connector reports are candidates; one host takes one machine of a batch, and when two
   * want it the one placed by the earlier rule gets it. Machines absent from the result get a host of
   * their own.
   */
  async resolve(
    trx: Transaction<Database>,
    connectorId: number,
    rules: readonly IdentificationRule[],
    machines: readonly NormalizedMachine[],
  ): Promise<Map<string, IdentityMatch>> {
    const out = new Map<string, IdentityMatch>();
    const enabled = new Set(rules.filter((r) => r.enabled).map((r) => r.rule));
    if (machines.length === 0 || enabled.size === 0) return out;
    // With one connector (the usual case) there is nothing to match against: skip the lookups.
    const other = await trx
      .selectFrom('connectors as c')
      .select('c.id')
      .where('c.id', '!=', connectorId)
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('hostSources as hs').select('hs.id').whereRef('hs.connectorId', '=', 'c.id')),
      )
      .limit(1)
      .executeTakeFirst();
    if (!other) return out;

    const identifiers = new Map<string, Identifier[]>();
    for (const m of machines) {
      // A record Defender merged into another follows its survivor (HostWriter.foldMerged), whichever
      // host the rules would pick for it.
      if (m.source.mergedIntoMachineId) continue;
      identifiers.set(
        m.source.machineId,
        machineIdentifiers(m).filter((i) => enabled.has(i.kind)),
      );
    }
    // Rule by rule, each looked up only for the machines no earlier rule placed: with a tenant added
    // twice, machineId places nearly all of them and the other rules cost almost nothing.
    const held = new Set<number>();
    const checked = new Set<number>();
    let pending = [...identifiers.keys()];
    for (const { rule, enabled: on } of rules) {
      if (!on || pending.length === 0) continue;
      const values = new Set<string>();
      for (const machineId of pending) {
        for (const i of identifiers.get(machineId)!) if (i.kind === rule) values.add(i.value);
      }
      const found = await this.candidates(trx, connectorId, rule, values);
      // Hosts this connector already reports (through any of its sources) are not candidates.
      const unchecked = [...new Set([...found.values()].flat().map((c) => c.hostId))].filter(
        (id) => !checked.has(id),
      );
      for (const part of chunk(unchecked, 500)) {
        const rows = await trx
          .selectFrom('hostSources')
          .select('hostId')
          .where('connectorId', '=', connectorId)
          .where('hostId', 'in', part)
          .execute();
        for (const r of rows) held.add(Number(r.hostId));
      }
      for (const id of unchecked) checked.add(id);
      const next: string[] = [];
      for (const machineId of pending) {
        const hostId = hostByRule(rule, identifiers.get(machineId)!, (_k, v) => found.get(v), held);
        if (hostId === undefined) {
          next.push(machineId);
          continue;
        }
        out.set(machineId, { hostId, rule });
        // Two machines of one batch never land on the same host: the first one holds it now.
        held.add(hostId);
      }
      pending = next;
    }
    return out;
  }

  /** Hosts other connectors report that carry each of `values` of one kind, by value. */
  private async candidates(
    trx: Transaction<Database>,
    connectorId: number,
    kind: IdentificationRuleName,
    values: ReadonlySet<string>,
  ): Promise<Map<string, CandidateHost[]>> {
    const found = new Map<string, CandidateHost[]>();
    for (const part of chunk([...values], 500)) {
      const rows = await trx
        .selectFrom('hostIdentifiers as hi')
        .innerJoin('hostSources as hs', 'hs.id', 'hi.sourceId')
        .innerJoin('hosts as h', 'h.id', 'hs.hostId')
        .select(['hi.value', 'hs.hostId', 'h.fqdn'])
        .where('hi.kind', '=', kind)
        .where('hi.value', 'in', part)
        .where('hs.connectorId', '!=', connectorId)
        .where('h.status', '!=', 'merged')
        .execute();
      for (const r of rows) {
        const list = found.get(r.value) ?? [];
        const hostId = Number(r.hostId);
        if (!list.some((c) => c.hostId === hostId)) list.push({ hostId, fqdn: r.fqdn });
        found.set(r.value, list);
      }
    }
    return found;
  }

  /** Records the identifiers of new host sources. */
  async add(
    trx: Transaction<Database>,
    sources: ReadonlyArray<{ sourceId: number; machine: NormalizedMachine }>,
  ): Promise<void> {
    const rows: IdentifierRow[] = [];
    for (const { sourceId, machine } of sources) {
      for (const i of machineIdentifiers(machine)) rows.push([sourceId, i.kind, i.value]);
    }
    if (rows.length > 0) await this.insert(trx, rows);
  }

  /** Replaces the identifiers of host sources whose content changed. */
  async replace(
    trx: Transaction<Database>,
    sources: ReadonlyArray<{ sourceId: number; machine: NormalizedMachine }>,
  ): Promise<void> {
    for (const part of chunk(
      sources.map((s) => s.sourceId),
      500,
    )) {
      await trx.deleteFrom('hostIdentifiers').where('sourceId', 'in', part).execute();
    }
    await this.add(trx, sources);
  }
}

/** One identifier of a host source: source id, kind, value. */
type IdentifierRow = [sourceId: number, kind: string, value: string];

/** Inserts identifier rows into `host_identifiers`, in list order, inside the batch's transaction. */
type IdentifierInsert = (trx: Transaction<Database>, rows: readonly IdentifierRow[]) => Promise<void>;

/**
 * SQLite: one prepared statement per batch over a JSON list, in list order (ORDER BY key) so ids
 * follow the sources as row-by-row inserts would: a first sync of 100,000 devices writes half a million.
 */
function sqliteIdentifierInsert(sqlite: BetterSqlite3.Database): IdentifierInsert {
  const statement = sqlite.prepare(
    `INSERT INTO host_identifiers (source_id, kind, value)
     SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) ORDER BY key`,
  );
  return async (_trx, rows) => {
    statement.run(JSON.stringify(rows));
  };
}

/** PostgreSQL: multi-row inserts of 2,000 rows. */
const kyselyIdentifierInsert: IdentifierInsert = async (trx, rows) => {
  for (const part of chunk(rows, 2000)) {
    await trx
      .insertInto('hostIdentifiers')
      .values(part.map(([sourceId, kind, value]) => ({ sourceId, kind, value })))
      .execute();
  }
};

/**
 * "The most recently seen source wins" (README, Identification rules): a source may write the host's
 * columns only while no other source of that host was seen later. For `.where()` on `hosts`.
 */
export function newestSourceOfHost(sourceId: number, lastSeen: string | null) {
  return (eb: ExpressionBuilder<Database, 'hosts'>) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom('hostSources as o')
          .select('o.id')
          .whereRef('o.hostId', '=', 'hosts.id')
          .where('o.id', '!=', sourceId)
          .where('o.lastSeen', '>', lastSeen ?? ''),
      ),
    );
}
