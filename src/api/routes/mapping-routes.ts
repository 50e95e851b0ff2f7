import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { changeMapping } from '../../audit/mapping-audit.js';
import { undocumentedSourceNote } from '../../normalize/custom-field-sources.js';
import {
  CUSTOM_FIELD_ENTITIES,
  CUSTOM_FIELD_TYPES,
  CustomFieldError,
  normalizeTarget,
  validateCustomFieldMapping,
} from '../../normalize/custom-fields.js';
import { type Connector, ConnectorRepository } from '../../store/connectors/connector-repository.js';
import { TransformMapConflictError } from '../../store/connectors/transform-map-repository.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, badRequest, notFound } from '../api-error.js';
import { access } from '../roles.js';

const tags = ['connectors'];
const NameParams = z.strictObject({ name: z.string().min(1).max(200) });

/** The body field of each part of a custom field mapping (the columns of the mapping download). */
const BODY_FIELD = {
  entity: 'entity',
  source: 'sourceField',
  type: 'dataType',
  target: 'targetField',
} as const;

/** A refused custom field as a 400 naming the body field (the CLI's message, without its flag). */
function refused(err: unknown): never {
  if (err instanceof CustomFieldError) {
    const path = `body.${BODY_FIELD[err.field]}`;
    const message = err.message.replace(/^--[a-z]+:?\s*/, '');
    throw new ApiError(400, 'bad-request', `${path}: ${message}`, [{ path, message }]);
  }
  if (err instanceof TransformMapConflictError)
    throw new ApiError(409, 'mapping-conflict', err.message.replace(/^--[a-z]+:\s*/, ''));
  throw err;
}

const MapView = z.object({
  connector: z.string(),
  map: z.string().describe("`default`, or the name of the connector's own map"),
  customFields: z.array(
    z.object({ entity: z.string(), sourceField: z.string(), dataType: z.string(), targetField: z.string() }),
  ),
});

/**
 * Changes of a connector's transform map (docs/api.md#connectors), as `mdec mapping clone|add|remove|reset`:
 * the same validation and repository, each change recorded in the audit log in its transaction.
 */
export function registerMappingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const connectors = new ConnectorRepository(ctx.store, ctx.secrets, ctx.now);
  const named = async (name: string): Promise<Connector> => {
    const c = await connectors.byName(name);
    if (!c) throw notFound(`connector "${name}"`);
    return c;
  };
  const view = async (c: Connector, maps: Parameters<Parameters<typeof changeMapping>[4]>[0]) => {
    const map = await maps.get(c.id);
    return { connector: c.name, map: map?.name ?? 'default', customFields: map?.fields ?? [] };
  };

  r.post(
    '/api/connectors/:name/mapping/clone',
    {
      config: access('admin'),
      schema: {
        summary: 'Give the connector its own copy of the out-of-the-box map (200 when it has one already)',
        tags,
        params: NameParams,
        body: z.strictObject({ name: z.string().trim().min(1).max(200).optional() }).nullish(),
        response: {
          200: MapView.extend({ cloned: z.literal(false) }),
          201: MapView.extend({ cloned: z.literal(true) }),
        },
      },
    },
    async (request, reply) => {
      const c = await named(request.params.name);
      const name = request.body?.name ?? `${c.name} transform map`;
      const answer = await changeMapping(ctx.store, apiActor(request), c, 'mapping.clone', async (maps) => ({
        cloned: await maps.clone(c.id, name),
        ...(await view(c, maps)),
      }));
      return reply.code(answer.cloned ? 201 : 200).send(answer as never);
    },
  );

  r.post(
    '/api/connectors/:name/mapping/fields',
    {
      config: access('admin'),
      schema: {
        summary:
          'Add a custom field mapping (cloning the default map first when needed); the next sync fills it',
        tags,
        params: NameParams,
        body: z.strictObject({
          entity: z.enum(CUSTOM_FIELD_ENTITIES),
          sourceField: z.string().min(1).max(200).describe('a path in the MDE record, e.g. vmMetadata.vmId'),
          dataType: z.enum(CUSTOM_FIELD_TYPES),
          targetField: z.string().min(1).max(200).describe('customAttributes.NAME'),
        }),
        response: {
          201: MapView.extend({ cloned: z.boolean(), note: z.string().optional() }),
        },
      },
    },
    async (request, reply) => {
      const c = await named(request.params.name);
      const b = request.body;
      let field: ReturnType<typeof validateCustomFieldMapping>;
      try {
        field = validateCustomFieldMapping({
          entity: b.entity,
          source: b.sourceField,
          type: b.dataType,
          target: b.targetField,
        });
      } catch (err) {
        return refused(err);
      }
      try {
        const answer = await changeMapping(ctx.store, apiActor(request), c, 'mapping.add', async (maps) => ({
          cloned: await maps.addField(c.id, field, `${c.name} transform map`),
          ...(await view(c, maps)),
        }));
        const note = undocumentedSourceNote(field);
        return reply.code(201).send({ ...answer, ...(note ? { note } : {}) });
      } catch (err) {
        return refused(err);
      }
    },
  );

  r.delete(
    '/api/connectors/:name/mapping/fields/:entity/:target',
    {
      config: access('admin'),
      schema: {
        summary: 'Remove the custom field mapping into a target; the next sync clears it',
        tags,
        params: NameParams.extend({
          entity: z.enum(CUSTOM_FIELD_ENTITIES),
          target: z.string().min(1).max(200).describe('customAttributes.NAME'),
        }),
        response: { 200: MapView },
      },
    },
    async (request) => {
      const c = await named(request.params.name);
      const { entity } = request.params;
      let target: string;
      try {
        target = normalizeTarget(entity, request.params.target);
      } catch (err) {
        if (err instanceof CustomFieldError)
          throw badRequest('params.target', err.message.replace(/^--[a-z]+:?\s*/, ''));
        throw err;
      }
      try {
        return await changeMapping(ctx.store, apiActor(request), c, 'mapping.remove', async (maps) => {
          // Nothing removed: thrown, so no audit entry is written for it.
          if (!(await maps.removeField(c.id, entity, target))) throw new NothingToRemove();
          return view(c, maps);
        });
      } catch (err) {
        if (err instanceof NothingToRemove)
          throw notFound(`${entity} mapping into ${target} of connector "${c.name}"`);
        throw err;
      }
    },
  );

  r.post(
    '/api/connectors/:name/mapping/reset',
    {
      config: access('admin'),
      schema: {
        summary: 'Back to the out-of-the-box map: drop the clone and its custom fields',
        tags,
        params: NameParams,
        response: { 200: MapView.extend({ reset: z.boolean() }) },
      },
    },
    async (request) => {
      const c = await named(request.params.name);
      return changeMapping(ctx.store, apiActor(request), c, 'mapping.reset', async (maps) => ({
        reset: await maps.reset(c.id),
        ...(await view(c, maps)),
      }));
    },
  );
}

/** A removal that found no such mapping: rolls back the change's transaction. */
class NothingToRemove extends Error {}
