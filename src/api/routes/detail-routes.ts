import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { parseFindingId } from '../../store/findings/finding-id.js';
import type { ApiContext } from '../api-context.js';
import { badRequest } from '../api-error.js';
import { sendStoreRead } from '../read-cache.js';
import { recordSerializer } from '../record-serializer.js';
import { access } from '../roles.js';

const Record = z.record(z.string(), z.unknown());
const Related = z.object({ items: z.array(Record), more: z.boolean() });

/** `GET /api/hosts/:id`, `/api/findings/:id`, `/api/vulnerabilities/:cveId` (docs/api.md#details). */
export function registerDetailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

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
    async (request, reply) => sendStoreRead(ctx, request, reply, 'host', { id: request.params.id }),
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
      return sendStoreRead(ctx, request, reply, 'finding', { id: request.params.id });
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
      sendStoreRead(ctx, request, reply, 'vulnerability', { cveId: request.params.cveId }),
  );
}
