import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import {
  auditConnectorAdded,
  auditConnectorEdited,
  auditConnectorRemoved,
} from '../../audit/connector-audit.js';
import { auditScoring } from '../../audit/scoring-audit.js';
import { writeRecords } from '../../export/write-records.js';
import { connectorStatus } from '../../jobs/connector-status.js';
import { describeConnector } from '../../jobs/describe-connector.js';
import { parseSchedule, ScheduleError } from '../../jobs/schedule.js';
import { ConnectorInputError, validateConnection } from '../../normalize/connector-connection.js';
import {
  CLOUDS,
  type ConnectorOptions,
  ConnectorOptionsSchema,
  OptionsError,
  parseConnectorOptions,
} from '../../normalize/connector-options.js';
import { scoringMapRecords } from '../../normalize/scoring/scoring-map-file.js';
import { transformMapRows } from '../../normalize/transform-map.js';
import { type Connector, ConnectorRepository } from '../../store/connectors/connector-repository.js';
import { ScoringMapRepository } from '../../store/connectors/scoring-map-repository.js';
import { TransformMapRepository } from '../../store/connectors/transform-map-repository.js';
import type { Store } from '../../store/db/store.js';
import { inStoreTransaction } from '../../store/db/store-transaction.js';
import { rescoreConnector } from '../../store/derive/rescore-connector.js';
import { testCredentials } from '../../sync/test-credentials.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, badRequest, type ErrorDetail, notFound } from '../api-error.js';
import { access } from '../roles.js';
import { ScoringMapBody, scoringMapOfBody } from './scoring-preview-routes.js';

/**
 * The connector options as body fields: each typed as the option schema types it, without its
 * default (absent means "keep" on a change, "default" on a new connector; parseConnectorOptions
 * fills defaults and checks the options together).
 */
const optionFields = Object.fromEntries(
  Object.entries(ConnectorOptionsSchema.shape).map(([key, schema]) => {
    const inner = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : (schema as z.ZodType);
    return [key, inner.optional()];
  }),
) as { [K in keyof typeof ConnectorOptionsSchema.shape]: z.ZodOptional<z.ZodType> };

const ConnectionFields = {
  tenantId: z.string().max(200),
  clientId: z.string().max(100),
  clientSecret: z.string().min(1).max(4096).describe('write-only: stored encrypted, never returned'),
  cloud: z.enum(CLOUDS),
  region: z.string().max(20).describe('a regional API host (eu, us, uk, ...); `none` for the global host'),
  apiUrl: z.string().max(2000),
  loginUrl: z.string().max(2000),
  scope: z.string().max(2000),
  network: z.string().min(1).max(200),
  schedule: z.string().max(200).nullable(),
  scheduleStart: z.iso.datetime().nullable().describe('no scheduled run before this UTC time'),
  scheduleEnd: z.iso.datetime().nullable().describe('no scheduled run from this UTC time on'),
  active: z.boolean(),
};

const ConnectorName = z.string().min(1).max(200);
const NewConnectorBody = z.strictObject({
  name: ConnectorName,
  ...ConnectionFields,
  cloud: ConnectionFields.cloud.optional(),
  region: ConnectionFields.region.optional(),
  apiUrl: ConnectionFields.apiUrl.optional(),
  loginUrl: ConnectionFields.loginUrl.optional(),
  scope: ConnectionFields.scope.optional(),
  network: ConnectionFields.network.optional(),
  schedule: ConnectionFields.schedule.optional(),
  scheduleStart: ConnectionFields.scheduleStart.optional(),
  scheduleEnd: ConnectionFields.scheduleEnd.optional(),
  active: ConnectionFields.active.optional(),
  ...optionFields,
});
/** On a change, an option given as null goes back to its default, or to unset when it has none. */
const ChangeConnectorBody = z.strictObject({
  name: ConnectorName.optional().describe('a new name'),
  ...Object.fromEntries(Object.entries(ConnectionFields).map(([k, s]) => [k, s.optional()])),
  ...Object.fromEntries(
    Object.entries(optionFields).map(([k, s]) => [
      k,
      s
        .nullable()
        .describe(`${s.description ? `${s.description}; ` : ''}null: back to the default (or unset)`),
    ]),
  ),
}) as unknown as z.ZodType<Partial<z.infer<typeof NewConnectorBody>>>;

const ConnectorView = z.record(z.string(), z.unknown()).describe('a connector; never its secret');
const NameParams = z.strictObject({ name: ConnectorName });
const OPTION_KEYS = Object.keys(ConnectorOptionsSchema.shape);
const tags = ['connectors'];

/** A refused setting as a 400 naming the body field. */
function asBadRequest(err: unknown): never {
  if (err instanceof ConnectorInputError)
    throw new ApiError(400, 'bad-request', `body.${err.field}${err.joiner}${err.text}`, [
      { path: `body.${err.field}`, message: err.text },
    ]);
  if (err instanceof OptionsError) {
    const details: ErrorDetail[] = err.message.split('; ').map((line) => {
      const m = /^([A-Za-z]+(?:\.\d+)?): (.*)$/.exec(line);
      return m ? { path: `body.${m[1]}`, message: m[2]! } : { path: 'body', message: line };
    });
    throw new ApiError(400, 'bad-request', details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  }
  throw err;
}

/** A schedule as stored: null for none (`''`, `none` or null), undefined when not given. */
function scheduleFrom(value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '' || value === 'none') return null;
  try {
    return parseSchedule(value);
  } catch (err) {
    if (err instanceof ScheduleError) throw badRequest('body.schedule', err.message);
    throw err;
  }
}

/** The schedule's window given over the stored one, as ISO UTC; the start must come before the end. */
function windowFrom(
  body: { scheduleStart?: string | null | undefined; scheduleEnd?: string | null | undefined },
  base: { scheduleStart: string | null; scheduleEnd: string | null } = {
    scheduleStart: null,
    scheduleEnd: null,
  },
): { scheduleStart?: string | null; scheduleEnd?: string | null } {
  const iso = (v: string | null | undefined) => (v ? new Date(v).toISOString() : v);
  const scheduleStart = iso(body.scheduleStart);
  const scheduleEnd = iso(body.scheduleEnd);
  const start = scheduleStart === undefined ? base.scheduleStart : scheduleStart;
  const end = scheduleEnd === undefined ? base.scheduleEnd : scheduleEnd;
  if (start && end && start >= end)
    throw badRequest('body.scheduleEnd', `must come after scheduleStart (${start}); got ${end}`);
  return {
    ...(scheduleStart !== undefined ? { scheduleStart } : {}),
    ...(scheduleEnd !== undefined ? { scheduleEnd } : {}),
  };
}

function optionsFrom(body: Record<string, unknown>, base: Partial<ConnectorOptions> = {}): ConnectorOptions {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(body)) {
    if (!OPTION_KEYS.includes(key) || value === undefined) continue;
    // null (a change only) drops the stored value: parseConnectorOptions fills the default, if any.
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  try {
    return parseConnectorOptions(merged);
  } catch (err) {
    return asBadRequest(err);
  }
}

/**
 * `/api/connectors` (docs/api.md#connectors): the settings of `mdec connector add|edit` as camelCase
 * JSON with the same validation; reading needs viewer, changing admin, testing credentials analyst.
 */
export function registerConnectorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const connectors = new ConnectorRepository(ctx.store, ctx.secrets, ctx.now);
  /** A change and its audit entry commit together, or neither does (docs/audit-log.md), as in the CLI. */
  const changing = <T>(work: (tx: Store, repo: ConnectorRepository) => Promise<T>): Promise<T> =>
    inStoreTransaction(ctx.store, (tx) => work(tx, new ConnectorRepository(tx, ctx.secrets, ctx.now)));
  const named = async (name: string): Promise<Connector> => {
    const c = await connectors.byName(name);
    if (!c) throw notFound(`connector "${name}"`);
    return c;
  };
  /** A connector with the state its runs and schedule give (jobs/connector-status.ts). */
  const describe = async (c: Connector) => describeConnector(c, await connectorStatus(ctx.store, c));

  r.get(
    '/api/connectors',
    {
      config: access('viewer'),
      schema: {
        summary: 'List connectors',
        tags,
        response: { 200: z.object({ items: z.array(ConnectorView) }) },
      },
    },
    async () => ({ items: await Promise.all((await connectors.list()).map(describe)) }),
  );

  r.post(
    '/api/connectors',
    {
      config: access('admin'),
      schema: { summary: 'Add a connector', tags, body: NewConnectorBody, response: { 201: ConnectorView } },
    },
    async (request, reply) => {
      const body = request.body;
      let connection: ReturnType<typeof validateConnection>;
      try {
        connection = validateConnection(body);
      } catch (err) {
        return asBadRequest(err);
      }
      const schedule = scheduleFrom(body.schedule);
      const window = windowFrom(body);
      const options = optionsFrom(body);
      if (await connectors.byName(body.name))
        throw new ApiError(409, 'exists', `a connector named "${body.name}" exists already`);
      const created = await changing(async (tx, repo) => {
        const made = await repo.create({
          name: body.name.trim(),
          network: body.network ?? 'default',
          ...connection,
          active: body.active ?? true,
          schedule: schedule ?? null,
          ...window,
          options,
          credentials: { clientSecret: body.clientSecret },
        });
        await auditConnectorAdded(tx, apiActor(request), made);
        return made;
      });
      return reply.code(201).send(await describe(created));
    },
  );

  r.get(
    '/api/connectors/:name',
    {
      config: access('viewer'),
      schema: {
        summary: 'A connector (never its secret)',
        tags,
        params: NameParams,
        response: { 200: ConnectorView },
      },
    },
    async (request) => describe(await named(request.params.name)),
  );

  r.patch(
    '/api/connectors/:name',
    {
      config: access('admin'),
      schema: {
        summary: 'Change a connector: only the fields given',
        tags,
        params: NameParams,
        body: ChangeConnectorBody,
        response: { 200: ConnectorView },
      },
    },
    async (request) => {
      const current = await named(request.params.name);
      const body = request.body;
      if (body.name !== undefined && body.name !== current.name && (await connectors.byName(body.name)))
        throw new ApiError(409, 'exists', `a connector named "${body.name}" exists already`);
      let connection: ReturnType<typeof validateConnection>;
      try {
        connection = validateConnection(body, current);
      } catch (err) {
        return asBadRequest(err);
      }
      const schedule = scheduleFrom(body.schedule);
      const window = windowFrom(body, current);
      const options = optionsFrom(body, current.options);
      const updated = await changing(async (tx, repo) => {
        const changed = await repo.update(current.id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.network !== undefined ? { network: body.network } : {}),
          ...connection,
          options,
          ...(schedule !== undefined ? { schedule } : {}),
          ...window,
          ...(body.active !== undefined ? { active: body.active } : {}),
          ...(body.clientSecret !== undefined ? { credentials: { clientSecret: body.clientSecret } } : {}),
        });
        await auditConnectorEdited(tx, apiActor(request), current, changed, body.clientSecret !== undefined);
        return changed;
      });
      return describe(updated);
    },
  );

  r.delete(
    '/api/connectors/:name',
    {
      config: access('admin'),
      schema: {
        summary: 'Remove a connector and what it brought in; its hosts stay unless purgeHosts',
        tags,
        params: NameParams,
        querystring: z.strictObject({ purgeHosts: z.enum(['true', 'false']).optional() }),
      },
    },
    async (request, reply) => {
      const c = await named(request.params.name);
      if (await ctx.runs.running(c.id))
        throw new ApiError(409, 'run-in-progress', `a sync of "${c.name}" is running`);
      const purgeHosts = request.query.purgeHosts === 'true';
      await changing(async (tx, repo) => {
        await repo.remove(c.id, { purgeHosts });
        await auditConnectorRemoved(tx, apiActor(request), c, purgeHosts);
      });
      return reply.code(204).send();
    },
  );

  for (const [verb, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    r.post(
      `/api/connectors/:name/${verb}`,
      {
        config: access('admin'),
        schema: {
          summary: `${active ? 'Resume' : 'Pause'} the connector's scheduled runs`,
          tags,
          params: NameParams,
          response: { 200: ConnectorView },
        },
      },
      async (request) => {
        const c = await named(request.params.name);
        const updated = await changing(async (tx, repo) => {
          const changed = await repo.update(c.id, { active });
          await auditConnectorEdited(tx, apiActor(request), c, changed, false);
          return changed;
        });
        return describe(updated);
      },
    );
  }

  r.post(
    '/api/connectors/:name/test-credentials',
    {
      config: access('analyst'),
      schema: {
        summary: 'Check sign-in, each permission the data types need and each endpoint; one result each',
        tags,
        params: NameParams,
        response: {
          200: z.object({
            ok: z.boolean(),
            checks: z.array(
              z.object({
                check: z.string(),
                ok: z.boolean(),
                class: z.string().optional(),
                detail: z.string(),
                fix: z.string().optional(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const c = await named(request.params.name);
      const checks = await testCredentials(connectors, c, ctx.caFile ? { caFile: ctx.caFile } : {});
      return { ok: checks.every((x) => x.ok), checks };
    },
  );

  r.get(
    '/api/connectors/:name/mapping',
    {
      config: access('viewer'),
      schema: {
        summary: 'The field mapping in force (default rows and custom fields), as JSON or CSV',
        tags,
        params: NameParams,
        querystring: z.strictObject({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const c = await named(request.params.name);
      const rows = transformMapRows(await new TransformMapRepository(ctx.store).customFields(c.id));
      if (request.query.format === 'json') return { items: rows };
      return sendCsv(reply, `${c.name}-mapping.csv`, rows);
    },
  );

  r.get(
    '/api/connectors/:name/scoring',
    {
      config: access('viewer'),
      schema: {
        summary: 'The scoring map in force, as JSON or CSV (the layout PUT reads back)',
        tags,
        params: NameParams,
        querystring: z.strictObject({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const c = await named(request.params.name);
      const stored = await new ScoringMapRepository(ctx.store).get(c.id);
      if (request.query.format === 'json') return { custom: stored.custom, ...stored.map };
      return sendCsv(reply, `${c.name}-scoring.csv`, scoringMapRecords(stored.map));
    },
  );

  r.put(
    '/api/connectors/:name/scoring',
    {
      config: access('admin'),
      schema: {
        summary: 'Replace the scoring map (JSON, or CSV with content-type text/csv) and rescore the findings',
        tags,
        params: NameParams,
        body: ScoringMapBody,
      },
    },
    async (request) => {
      const c = await named(request.params.name);
      const map = scoringMapOfBody(request.body);
      const at = ctx.now().toISOString();
      await changing(async (tx) => {
        const scoring = new ScoringMapRepository(tx);
        const before = await scoring.get(c.id);
        await scoring.set(c.id, map, at);
        await auditScoring(tx, apiActor(request), c, 'scoring.set', before, map, ctx.now);
      });
      const rescored = await rescoreConnector(ctx.store, c.id, { at });
      return { connector: c.name, map, rescored };
    },
  );
}

async function sendCsv(reply: import('fastify').FastifyReply, filename: string, rows: Iterable<object>) {
  const chunks: string[] = [];
  const { Writable } = await import('node:stream');
  const out = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  await writeRecords(
    (async function* () {
      for (const row of rows) yield { ...row } as Record<string, unknown>;
    })(),
    'csv',
    out,
  );
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    .send(chunks.join(''));
}
