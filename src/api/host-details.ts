import { installOf } from '../export/finding-end-of-support.js';
import { presentRecord } from '../export/present-record.js';
import { profileNames } from '../export/profile-records.js';
import { type KnownHost, readRecordPage } from '../export/read-records.js';
import {
  DEFENDER_RISK_POINTS,
  EXPOSURE_POINTS,
  hostRiskComponents,
  vulnerabilityLoad,
  worseDefenderValue,
} from '../normalize/host-risk.js';
import { MachineActionRepository } from '../store/actions/machine-action-repository.js';
import { queryTemplate } from '../store/db/query-template.js';
import { inReadBatch } from '../store/db/read-batches.js';
import type { Store } from '../store/db/store.js';
import { notFound } from './api-error.js';
import { openFindingScores, openFindingsOfHost } from './findings-access.js';

/** A host detail lists at most this many of each related record; `more` says when there are others. */
export const RELATED_LIMIT = 500;

async function related(store: Store, kind: 'installed-software' | 'alerts', host: KnownHost) {
  const page = await readRecordPage(store, kind, {
    equals: { hostId: host.id },
    limit: RELATED_LIMIT,
    knownHost: host,
  });
  return { items: page.records, more: page.next !== null };
}

/** A host's sources, in id order, each with what its connector's portal links are made from. */
const sourcesOf = queryTemplate((store, hostId: number) =>
  store.db
    .selectFrom('hostSources')
    .innerJoin('connectors', 'connectors.id', 'hostSources.connectorId')
    .selectAll('hostSources')
    .select([
      'connectors.cloud as portalCloud',
      'connectors.apiUrl as portalApiUrl',
      'connectors.tenantId as portalTenantId',
    ])
    .where('hostSources.hostId', '=', hostId)
    .orderBy('hostSources.id'),
);

/** The profiles a host belongs to, by name. */
const profilesOf = queryTemplate((store, hostId: number) =>
  store.db
    .selectFrom('hostProfiles')
    .innerJoin('profiles', 'profiles.id', 'hostProfiles.profileId')
    .select([
      'profiles.id',
      'profiles.kind',
      'profiles.name',
      'profiles.osPlatform',
      'profiles.osVersion',
      'hostProfiles.matchScore',
      'hostProfiles.assignedAt',
    ])
    .where('hostProfiles.hostId', '=', hostId)
    .orderBy('profiles.name'),
);

/** A host's name, for the records of its details that name their host. */
const nameOf = queryTemplate((store, hostId: number) =>
  store.db.selectFrom('hosts').select('name').where('id', '=', hostId),
);

/**
 * The answer of `GET /api/hosts/:id` (docs/api.md#details): the host as exported, every Defender
 * field of each of its sources, its open findings (most severe first), installed software, alerts,
 * profiles, the points of each input of its risk, its portal links and its machine actions. An
 * unknown id is a 404.
 *
 * Two rounds of reads, each issued together and so one round trip on PostgreSQL
 * (store/db/read-batches.ts): first what the records are made from (the host's sources with their
 * portal inputs, its profiles, its name), then the records, each built from what the first round
 * read rather than reading it again.
 */
export function readHostDetails(store: Store, id: number) {
  return inReadBatch(async () => {
    const [withPortals, profiles, names] = await Promise.all([
      sourcesOf(store, id),
      profilesOf(store, id),
      nameOf(store, id),
    ]);
    if (names.length === 0) throw notFound(`host ${id}`);
    const sourceRows = withPortals.map(
      ({ portalCloud: _c, portalApiUrl: _a, portalTenantId: _t, ...s }) => s,
    );
    const known: KnownHost = {
      id,
      name: names[0]!.name,
      sources: sourceRows as unknown as Record<string, unknown>[],
      profileNames: profileNames(profiles.map((p) => p.name)),
      portals: new Map(
        withPortals.map((s) => [
          Number(s.connectorId),
          { cloud: s.portalCloud, apiUrl: s.portalApiUrl, tenantId: s.portalTenantId },
        ]),
      ),
    };
    const hostPage = readRecordPage(store, 'hosts', { equals: { id }, limit: 1, knownHost: known });
    const installedSoftwareRead = related(store, 'installed-software', known);
    // Findings take their end of support from the installed software read beside them.
    const installs = installedSoftwareRead.then(
      (installed) =>
        new Map(
          installed.items.map((i) => [
            installOf(i),
            { status: i.endOfSupportStatus, date: i.endOfSupportDate },
          ]),
        ),
    );
    // A failed read of installed software fails the details through Promise.all below; the findings
    // may fail before they wait for it, and this promise must not then count as a rejection nobody
    // handled (which ends the thread).
    installs.catch(() => {});
    known.installs = installs;
    const [page, installedSoftware, openFindings, alerts, actions] = await Promise.all([
      hostPage,
      installedSoftwareRead,
      openFindingsOfHost(store, known, RELATED_LIMIT),
      related(store, 'alerts', known),
      new MachineActionRepository(store).list({ hostId: id, limit: RELATED_LIMIT }),
    ]);
    const host = page.records[0];
    if (!host) throw notFound(`host ${id}`);
    const sources = sourceRows.map((s) => presentRecord(s as unknown as Record<string, unknown>));
    let defenderRisk: string | null = null;
    let exposure: string | null = null;
    for (const s of sourceRows) {
      defenderRisk = worseDefenderValue(DEFENDER_RISK_POINTS, defenderRisk, s.riskScore);
      exposure = worseDefenderValue(EXPOSURE_POINTS, exposure, s.exposureLevel);
    }
    // The scores of all open findings: those listed, unless the list stops at its limit.
    const openScores = openFindings.more
      ? await openFindingScores(store, id)
      : openFindings.items.map((f) => Number(f.score));
    const components = hostRiskComponents({
      vulnerabilityLoad: vulnerabilityLoad(openScores),
      worstAlertSeverity: (host.topAlertSeverity as string | null) ?? null,
      defenderRiskScore: defenderRisk,
      exposureLevel: exposure,
    });
    const portalLinks = Object.fromEntries(
      Object.entries(host)
        .filter(([k]) => k.startsWith('portal') && k.endsWith('Url'))
        .map(([k, v]) => [
          k.slice('portal'.length, -'Url'.length).replace(/^./, (c) => c.toLowerCase()),
          (v as string | null) ?? null,
        ]),
    );
    return {
      host,
      sources,
      openFindings,
      installedSoftware,
      alerts,
      profiles: profiles.map((p) => ({ ...p, id: Number(p.id) })),
      risk: {
        score: (host.riskScore as number | null) ?? null,
        level: (host.riskLevel as string | null) ?? null,
        components,
      },
      portalLinks,
      actions: actions.map((a) => ({ ...a })),
    };
  });
}
