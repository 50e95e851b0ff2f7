import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import * as z from 'zod';
import { presentRecord } from '../../export/present-record.js';
import { readRecordPage } from '../../export/read-records.js';
import {
  DEFENDER_RISK_POINTS,
  EXPOSURE_POINTS,
  hostRiskComponents,
  vulnerabilityLoad,
  worseDefenderValue,
} from '../../normalize/host-risk.js';
import { MachineActionRepository } from '../../store/actions/machine-action-repository.js';
import { parseFindingId } from '../../store/findings/finding-id.js';
import type { ApiContext } from '../api-context.js';
import { badRequest, notFound } from '../api-error.js';
import {
  findingById,
  openFindingCountOfCve,
  openFindingScores,
  openFindingsOfHost,
} from '../findings-access.js';
import { sendStoreRead } from '../read-cache.js';
import { recordSerializer } from '../record-serializer.js';
import { access } from '../roles.js';

/** A host detail lists at most this many of each related record; `more` says when there are others. */
const RELATED_LIMIT = 500;
const Record = z.record(z.string(), z.unknown());
const Related = z.object({ items: z.array(Record), more: z.boolean() });

/** `GET /api/hosts/:id`, `/api/findings/:id`, `/api/vulnerabilities/:cveId` (docs/api.md#details). */
export function registerDetailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const store = ctx.store;
  const related = async (kind: 'installed-software' | 'alerts', hostId: number) => {
    const page = await readRecordPage(store, kind, {
      where:
        kind === 'alerts' ? sql`alerts.host_id = ${hostId}` : sql`installed_software.host_id = ${hostId}`,
      limit: RELATED_LIMIT,
    });
    return { items: page.records, more: page.next !== null };
  };

  r.get(
    '/api/hosts/:id',
    {
      config: access('viewer'),
      serializerCompiler: recordSerializer,
      schema: {
        summary:
          'A host: its record, every Defender field of each source, open findings, installed software, alerts, profiles, risk components, portal links and machine actions',
        tags: ['details'],
        params: z.strictObject({ id: z.coerce.number().int().positive() }),
        response: {
          200: z.object({
            host: Record,
            sources: z.array(Record),
            openFindings: Related,
            installedSoftware: Related,
            alerts: Related,
            profiles: z.array(Record),
            risk: z.object({
              score: z.number().nullable(),
              level: z.string().nullable(),
              components: z.object({
                vulnerability: z.number(),
                alert: z.number(),
                defenderRisk: z.number(),
                exposure: z.number(),
              }),
            }),
            portalLinks: z.record(z.string(), z.string().nullable()),
            actions: z.array(Record).describe('machine actions requested for the host, newest first'),
          }),
        },
      },
    },
    async (request, reply) =>
      sendStoreRead(ctx.reads, request, reply, async () => {
        const id = request.params.id;
        const page = await readRecordPage(store, 'hosts', { where: sql`hosts.id = ${id}`, limit: 1 });
        const host = page.records[0];
        if (!host) throw notFound(`host ${id}`);
        const sourceRows = await store.db
          .selectFrom('hostSources')
          .selectAll()
          .where('hostId', '=', id)
          .orderBy('id')
          .execute();
        const sources = sourceRows.map((s) => presentRecord(s as unknown as Record<string, unknown>));
        const profiles = await store.db
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
          .where('hostProfiles.hostId', '=', id)
          .orderBy('profiles.name')
          .execute();
        let defenderRisk: string | null = null;
        let exposure: string | null = null;
        for (const s of sourceRows) {
          defenderRisk = worseDefenderValue(DEFENDER_RISK_POINTS, defenderRisk, s.riskScore);
          exposure = worseDefenderValue(EXPOSURE_POINTS, exposure, s.exposureLevel);
        }
        const openFindings = await openFindingsOfHost(store, id, RELATED_LIMIT);
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
          installedSoftware: await related('installed-software', id),
          alerts: await related('alerts', id),
          profiles: profiles.map((p) => ({ ...p, id: Number(p.id) })),
          risk: {
            score: (host.riskScore as number | null) ?? null,
            level: (host.riskLevel as string | null) ?? null,
            components,
          },
          portalLinks,
          actions: (await new MachineActionRepository(store).list({ hostId: id, limit: RELATED_LIMIT })).map(
            (a) => ({ ...a }),
          ),
        };
      }),
  );

  r.get(
    '/api/findings/:id',
    {
      config: access('viewer'),
      serializerCompiler: recordSerializer,
      schema: {
        summary: 'A finding, as mdec export writes it, with its id',
        tags: ['details'],
        params: z.strictObject({
          id: z
            .string()
            .max(200)
            .describe(
              'connector, device id, software id and CVE joined by dots, as `id` in the findings list',
            ),
        }),
        response: { 200: Record },
      },
    },
    async (request, reply) => {
      if (!parseFindingId(request.params.id))
        throw badRequest('params.id', 'not a finding id (the `id` of a findings list item)');
      return sendStoreRead(ctx.reads, request, reply, async () => {
        const finding = await findingById(store, request.params.id);
        if (!finding) throw notFound(`finding ${request.params.id}`);
        return finding;
      });
    },
  );

  r.get(
    '/api/vulnerabilities/:cveId',
    {
      config: access('viewer'),
      serializerCompiler: recordSerializer,
      schema: {
        summary:
          'A vulnerability definition (one per connector that reported it) and its open findings count',
        tags: ['details'],
        params: z.strictObject({ cveId: z.string().min(1).max(100) }),
        response: {
          200: z.object({ vulnerability: Record, definitions: z.array(Record), openFindings: z.number() }),
        },
      },
    },
    async (request, reply) =>
      sendStoreRead(ctx.reads, request, reply, async () => {
        const cveId = request.params.cveId;
        const page = await readRecordPage(store, 'vulnerabilities', {
          where: sql`vulnerability_definitions.id = ${cveId}`,
          limit: 100,
        });
        const first = page.records[0];
        if (!first) throw notFound(`vulnerability ${cveId}`);
        return {
          vulnerability: first,
          definitions: page.records,
          openFindings: await openFindingCountOfCve(store, cveId),
        };
      }),
  );
}
