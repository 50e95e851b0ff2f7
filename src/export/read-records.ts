import { type Kysely, sql } from 'kysely';
import { ofConnector } from '../store/connectors/connector-scope.js';
import type { Store } from '../store/db/store.js';
import { FINDING_RECORD_FIELDS, findingRecords } from '../store/findings/finding-repository.js';
import { parseHostIdentityKey } from '../store/hosts/host-identity-key.js';
import type { ExportKind } from './export-kinds.js';
import { withEndOfSupport } from './finding-end-of-support.js';
import { withPortalLinks } from './host-portal-links.js';
import { withProfileCounts, withProfiles } from './profile-records.js';

/** Rows per keyset page: memory stays flat whatever the table size (exports are streamed). */
const PAGE = 2_000;

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/** Columns holding JSON text, parsed back into lists and objects for output. */
const JSON_COLUMNS = new Set([
  'ipAddresses',
  'macAddresses',
  'tags',
  'customAttributes',
  'machineTags',
  'diskPaths',
  'registryPaths',
  'extra',
  'exploitTypes',
  'exploitUris',
  'associatedThreats',
  'mitreTechniques',
  'relatedUser',
  'comments',
  'evidence',
  'counters',
  'options',
  // Definitions in depth (migration 0003)
  'cvssV3Components',
  'cvssV2Components',
  'referenceUrls',
  'affectedSoftware',
  'recommendationIds',
  // Machine fields, addresses by reach and package versions (migration 0010)
  'vmMetadata',
  'privateIpAddresses',
  'publicIpAddresses',
  'privateDnsNames',
  'publicDnsNames',
  'versions',
]);
/** 0/1 integers that mean yes/no. */
const BOOLEAN_COLUMNS = new Set([
  'securityUpdateAvailable',
  'publicExploit',
  'exploitVerified',
  'exploitInKit',
  'activeAlert',
  'hasUnpatchableCve',
  'isAadJoined',
  'isPotentialDuplication',
  'isExcluded',
  'cvssV3ScoreAgrees',
  'patchAvailable',
]);
/** Bookkeeping that means nothing outside the store. */
const HIDDEN_COLUMNS = new Set([
  'contentHash',
  'seenRunId',
  'stateTime',
  'identityKey',
  'findingKey',
  'installKey',
  // A finding's place in the table (its device and software ids), for paging only.
  'deviceId',
  'softwareId',
]);

function present(row: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (HIDDEN_COLUMNS.has(k)) continue;
    let value = v;
    if (typeof v === 'string' && JSON_COLUMNS.has(k)) {
      try {
        value = JSON.parse(v);
      } catch {
        value = v;
      }
    } else if (BOOLEAN_COLUMNS.has(k) && v !== null && v !== undefined) {
      value = Number(v) === 1;
    } else if (
      typeof v === 'string' &&
      /^\d+$/.test(v) &&
      (k === 'id' || k.endsWith('Id') || k === 'apiCalls')
    ) {
      // PostgreSQL returns bigint as text; ids are numbers to users.
      value = Number(v);
    }
    out[prefix ? `${prefix}${k.charAt(0).toUpperCase()}${k.slice(1)}` : k] = value;
  }
  return out;
}

interface KindSpec {
  table: string;
  /** Where the records are read from, when not the table itself (findings: their repository). */
  from?: (store: Store) => ReturnType<typeof findingRecords>;
  /** The fields of a record, when not the table's columns. */
  fields?: readonly string[];
  /** Keyset columns, in order; together unique. */
  key: string[];
  /** Adds joined columns (e.g. the host's Defender fields) to a page of rows. */
  enrich?: (db: AnyDb, rows: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;
}

const SPECS: Record<ExportKind, KindSpec> = {
  hosts: {
    table: 'hosts',
    key: ['id'],
    enrich: async (db, rows) =>
      withPortalLinks(db, await withProfiles(db, await withDefenderFields(db, rows))),
  },
  findings: {
    table: 'findings',
    from: (store) => findingRecords(store.db, store.dialect),
    fields: FINDING_RECORD_FIELDS,
    key: ['connectorId', 'deviceId', 'softwareId', 'cveId'],
    enrich: async (db, rows) => withEndOfSupport(db, await withHostNames(db, rows)),
  },
  vulnerabilities: { table: 'vulnerabilityDefinitions', key: ['connectorId', 'id'] },
  software: { table: 'software', key: ['connectorId', 'id'] },
  'installed-software': { table: 'installedSoftware', key: ['id'], enrich: withHostNames },
  recommendations: { table: 'recommendations', key: ['connectorId', 'id'] },
  alerts: { table: 'alerts', key: ['connectorId', 'id'] },
  runs: { table: 'syncRuns', key: ['id'] },
  profiles: { table: 'profiles', key: ['id'], enrich: withProfileCounts },
};

/**
 * Reads every record of a kind in key order, a page at a time, optionally for one connector. Hosts
 * carry their Defender fields ("Defender ..." fields in exports) with a `defender` prefix.
 */
export async function* readRecords(
  store: Store,
  kind: ExportKind,
  filter: { connectorId?: number; where?: (row: Record<string, unknown>) => boolean } = {},
): AsyncGenerator<Record<string, unknown>> {
  const db = store.db as unknown as AnyDb;
  const spec = SPECS[kind];
  let after: unknown[] | undefined;
  for (;;) {
    // A repository's records come as an aliased query named after the table, which Kysely takes alike.
    const source = (spec.from ? spec.from(store) : spec.table) as string;
    let q = db.selectFrom(source).selectAll();
    if (filter.connectorId !== undefined) q = q.where(ofConnector(spec.table, filter.connectorId));
    if (after) {
      const values = after;
      q =
        spec.key.length > 2
          ? q.where(
              sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(`${spec.table}.${k}`)))}) > (${sql.join(values)})`,
            )
          : spec.key.length === 1
            ? q.where(spec.key[0]!, '>', values[0])
            : q.where(({ or, and, eb }) =>
                or([
                  eb(spec.key[0]!, '>', values[0]),
                  and([eb(spec.key[0]!, '=', values[0]), eb(spec.key[1]!, '>', values[1])]),
                ]),
              );
    }
    for (const k of spec.key) q = q.orderBy(k);
    let rows = (await q.limit(PAGE).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    after = spec.key.map((k) => rows[rows.length - 1]![k]);
    const complete = rows.length === PAGE;
    if (spec.enrich) rows = await spec.enrich(db, rows);
    for (const row of rows) {
      const record = present(row);
      if (!filter.where || filter.where(record)) yield record;
    }
    if (!complete) return;
  }
}

/**
 * The columns of a `kind` export, in the order its records carry them, without reading a record: the
 * header of every CSV export, so it does not depend on which record comes first. A record is the table's row, enriched and presented as readRecords
 * does; a host carries its Defender fields as withDefenderFields adds them for a host with a source.
 */
export async function exportColumns(store: Store, kind: ExportKind): Promise<string[]> {
  const db = store.db as unknown as AnyDb;
  const spec = SPECS[kind];
  const tables = await store.db.introspection.getTables();
  const nulls = (table: string): Record<string, unknown> => {
    const found = tables.find((t) => camelCase(t.name) === table);
    return Object.fromEntries((found?.columns ?? []).map((c) => [camelCase(c.name), null]));
  };
  let template = spec.fields ? Object.fromEntries(spec.fields.map((f) => [f, null])) : nulls(spec.table);
  if (kind === 'hosts') {
    const { id: _id, hostId: _h, connectorId: _c, ...fields } = nulls('hostSources');
    template = { ...template, connectorId: null, mergedIntoHostId: null, ...present(fields, 'defender') };
  }
  const [enriched] = spec.enrich ? await spec.enrich(db, [template]) : [template];
  return Object.keys(present(enriched ?? template));
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Hosts with their connector and Defender fields (`defender` prefix) and `mergedIntoHostId`. A host
 * several connectors report shows its most recently seen source's fields, as its own columns do
 * (README, Identification rules). A `merged` host shows the fields of the machine record that created
 * it, which now sits on its survivor: `mergedIntoHostId` names that host.
 */
async function withDefenderFields(db: AnyDb, rows: Record<string, unknown>[]) {
  const sources = await db
    .selectFrom('hostSources')
    .selectAll()
    .where(
      'hostId',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  const byHost = new Map<unknown, Record<string, unknown>>();
  for (const s of sources) {
    const current = byHost.get(Number(s.hostId));
    if (!current || String(s.lastSeen ?? '') > String(current.lastSeen ?? ''))
      byHost.set(Number(s.hostId), s);
  }
  const mergedRecords = rows
    .filter((r) => r.status === 'merged' && !byHost.has(Number(r.id)))
    .map((r) => ({ hostId: Number(r.id), record: parseHostIdentityKey(String(r.identityKey ?? '')) }))
    .filter((m) => m.record !== null);
  const mergedSource = new Map<number, Record<string, unknown>>();
  for (const connectorId of new Set(mergedRecords.map((m) => m.record!.connectorId))) {
    const mine = mergedRecords.filter((m) => m.record!.connectorId === connectorId);
    const found = await db
      .selectFrom('hostSources')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .where(
        'machineId',
        'in',
        mine.map((m) => m.record!.machineId),
      )
      .execute();
    const byMachine = new Map(found.map((s) => [String(s.machineId), s]));
    for (const m of mine) {
      const s = byMachine.get(m.record!.machineId);
      if (s) mergedSource.set(m.hostId, s);
    }
  }
  return rows.map((r) => {
    const merged = mergedSource.get(Number(r.id));
    const s = byHost.get(Number(r.id)) ?? merged;
    if (!s) return { ...r, mergedIntoHostId: null };
    const { id: _id, hostId, connectorId, ...fields } = s;
    return {
      ...r,
      connectorId,
      mergedIntoHostId: merged ? Number(hostId) : null,
      ...present(fields, 'defender'),
    };
  });
}

async function withHostNames(db: AnyDb, rows: Record<string, unknown>[]) {
  const ids = [...new Set(rows.map((r) => r.hostId).filter((v) => v !== null && v !== undefined))];
  const names = new Map<number, unknown>();
  if (ids.length > 0) {
    for (const h of await db.selectFrom('hosts').select(['id', 'name']).where('id', 'in', ids).execute()) {
      names.set(Number(h.id), h.name);
    }
  }
  return rows.map((r) => ({
    ...r,
    hostName: r.hostId === null ? null : (names.get(Number(r.hostId)) ?? null),
  }));
}
