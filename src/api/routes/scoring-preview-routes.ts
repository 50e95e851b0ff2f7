import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { ScoringMap } from '../../normalize/scoring/scoring-map.js';
import { ScoringMapError } from '../../normalize/scoring/scoring-map.js';
import { parseScoringMapFile } from '../../normalize/scoring/scoring-map-file.js';
import { ConnectorRepository } from '../../store/connectors/connector-repository.js';
import { previewScoringMap } from '../../store/derive/scoring-preview.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, notFound } from '../api-error.js';
import { access } from '../roles.js';

/** A scoring map body: JSON, or CSV text sent as `text/csv` (the layout the GET writes). */
export const ScoringMapBody = z.union([z.string().max(1024 * 1024), z.record(z.string(), z.unknown())]);

/** The scoring map a body holds, checked as `mdec scoring set` checks a file; a bad one is a 400. */
export function scoringMapOfBody(body: z.infer<typeof ScoringMapBody>): ScoringMap {
  try {
    return typeof body === 'string'
      ? parseScoringMapFile(body, 'csv')
      : parseScoringMapFile(JSON.stringify(body), 'json');
  } catch (err) {
    if (err instanceof ScoringMapError)
      throw new ApiError(
        400,
        'bad-request',
        `body: ${err.issues.join('; ')}`,
        err.issues.map((m) => ({ path: 'body', message: m })),
      );
    throw err;
  }
}

/**
 * `POST /api/connectors/:name/scoring/preview` (docs/api.md#connectors): how many open findings a
 * scoring map would rescore, before it is saved. Read-only, but for admins, who alone may save one.
 */
export function registerScoringPreviewRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const connectors = new ConnectorRepository(ctx.store, ctx.secrets, ctx.now);

  r.post(
    '/api/connectors/:name/scoring/preview',
    {
      config: access('admin'),
      schema: {
        summary:
          "How many of the connector's open findings would change severity or score under this map; nothing is saved",
        tags: ['connectors'],
        params: z.strictObject({ name: z.string().min(1).max(200) }),
        body: ScoringMapBody,
        response: {
          200: z.object({
            connector: z.string(),
            examined: z.number().describe('open findings scored'),
            changed: z.number().describe('of them, those whose severity or score would change'),
          }),
        },
      },
    },
    async (request) => {
      const c = await connectors.byName(request.params.name);
      if (!c) throw notFound(`connector "${request.params.name}"`);
      const map = scoringMapOfBody(request.body);
      const { examined, changed } = await previewScoringMap(ctx.store, c.id, map);
      return { connector: c.name, examined, changed };
    },
  );
}
