import type BetterSqlite3 from 'better-sqlite3';
import type { ExpressionBuilder, Transaction } from 'kysely';
import {
  type CandidateHost,
  type IdentificationRule,
  type IdentificationRuleName,
  type Identifier,
  machineIdentifiers,
  pickHost,
} from '../normalize/identification-rules.js';
import type { NormalizedMachine } from '../normalize/model.js';
import { chunk } from './chunk.js';
import type { Store } from './open-store.js';
import type { Database } from './schema.js';

/** A machine's resolved host and the rule that found it. */
export interface IdentityMatch {
  hostId: number;
  rule: IdentificationRuleName;
}

/**
 * Host identity across connectors (seed 004, issue 4 item 5): keeps `host_identifiers` in step with
 * host sources and resolves the machines of one batch against them with indexed lookups, a few
 * statements per batch (never one per device and rule).
 */
export class HostIdentity {
  private readonly insertStatement: BetterSqlite3.Statement | undefined;

  constructor(store: Store) {
    this.insertStatement = store.sqlite?.prepare(
      'INSERT INTO host_identifiers (source_id, kind, value) VALUES (?, ?, ?)',
    );
  }

  /**
   * Which existing host each new machine of `connectorId` is, by the enabled rules in order. Only
   * hosts another connector reports are candidates (see pickHost); machines absent from the result
   * get a host of their own.
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
    const wanted = new Map<IdentificationRuleName, Set<string>>();
    for (const m of machines) {
      // A record Defender merged into another follows its survivor (HostWriter.foldMerged), whichever
      // host the rules would pick for it.
      if (m.source.mergedIntoMachineId) continue;
      const ids = machineIdentifiers(m).filter((i) => enabled.has(i.kind));
      identifiers.set(m.source.machineId, ids);
      for (const i of ids) {
        const set = wanted.get(i.kind) ?? new Set<string>();
        set.add(i.value);
        wanted.set(i.kind, set);
      }
    }
    const found = new Map<string, CandidateHost[]>();
    const hostIds = new Set<number>();
    for (const [kind, values] of wanted) {
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
          const key = `${kind}\n${r.value}`;
          const list = found.get(key) ?? [];
          const hostId = Number(r.hostId);
          if (!list.some((c) => c.hostId === hostId)) list.push({ hostId, fqdn: r.fqdn });
          found.set(key, list);
          hostIds.add(hostId);
        }
      }
    }
    if (hostIds.size === 0) return out;
    // Hosts this connector already reports (through any of its sources) are not candidates.
    const held = new Set<number>();
    for (const part of chunk([...hostIds], 500)) {
      const rows = await trx
        .selectFrom('hostSources')
        .select('hostId')
        .where('connectorId', '=', connectorId)
        .where('hostId', 'in', part)
        .execute();
      for (const r of rows) held.add(Number(r.hostId));
    }
    const candidates = (kind: IdentificationRuleName, value: string) => found.get(`${kind}\n${value}`);
    for (const m of machines) {
      const ids = identifiers.get(m.source.machineId);
      if (!ids) continue;
      const match = pickHost(rules, ids, candidates, held);
      if (!match) continue;
      out.set(m.source.machineId, match);
      // Two machines of one batch never land on the same host: the first one holds it now.
      held.add(match.hostId);
    }
    return out;
  }

  /** Records the identifiers of new host sources. */
  async add(
    trx: Transaction<Database>,
    sources: ReadonlyArray<{ sourceId: number; machine: NormalizedMachine }>,
  ): Promise<void> {
    const rows = sources.flatMap(({ sourceId, machine }) =>
      machineIdentifiers(machine).map((i) => ({ sourceId, kind: i.kind, value: i.value })),
    );
    if (this.insertStatement) {
      // Prepared statement: a first sync of 100,000 devices writes about half a million of these.
      for (const r of rows) this.insertStatement.run(r.sourceId, r.kind, r.value);
      return;
    }
    for (const part of chunk(rows, 2000)) await trx.insertInto('hostIdentifiers').values(part).execute();
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
