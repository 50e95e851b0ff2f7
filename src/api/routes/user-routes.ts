import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { type AuditRecord, type AuditTarget, recordAudit } from '../../audit/audit-log.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../security/password-hash.js';
import { ApiTokenRepository } from '../../store/users/api-token-repository.js';
import { ROLES, USER_NAME, UserRepository } from '../../store/users/user-repository.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, badRequest, notFound } from '../api-error.js';
import { access } from '../roles.js';

const UserView = z.object({
  id: z.number(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const TokenView = z.object({
  id: z.number(),
  user: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);
const NameParam = z.strictObject({ name: z.string().max(64) });

/** `/api/users` and `/api/tokens` (docs/api.md#users-and-tokens): admins only. */
export function registerUserRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const users = new UserRepository(ctx.store, ctx.now);
  const tokens = new ApiTokenRepository(ctx.store, ctx.now);
  const tags = ['users'];
  /** Every change here in the audit log with the signed-in user; never a password or a token. */
  const audit = (
    request: FastifyRequest,
    action: string,
    target: AuditTarget,
    extra: Pick<AuditRecord, 'before' | 'after' | 'detail'> = {},
  ) => recordAudit(ctx.store, apiActor(request), { action, target, ...extra, outcome: 'succeeded' }, ctx.now);

  r.get(
    '/api/users',
    {
      config: access('admin'),
      schema: { summary: 'List users', tags, response: { 200: z.object({ items: z.array(UserView) }) } },
    },
    async () => ({ items: await users.list() }),
  );

  r.post(
    '/api/users',
    {
      config: access('admin'),
      schema: {
        summary: 'Add a user',
        tags,
        body: z.strictObject({ name: z.string().regex(USER_NAME), role: z.enum(ROLES), password: Password }),
        response: { 201: UserView },
      },
    },
    async (request, reply) => {
      const { name, role, password } = request.body;
      if (await users.byName(name))
        throw new ApiError(409, 'exists', `a user named "${name}" exists already`);
      const created = await users.create(name, role, await hashPassword(password));
      await audit(request, 'user.add', { kind: 'user', name }, { after: { name, role } });
      return reply.code(201).send(created);
    },
  );

  r.patch(
    '/api/users/:name',
    {
      config: access('admin'),
      schema: {
        summary: "Change a user's role or password (a new password ends their sessions)",
        tags,
        params: NameParam,
        body: z.strictObject({ role: z.enum(ROLES).optional(), password: Password.optional() }),
        response: { 200: UserView },
      },
    },
    async (request) => {
      const found = await users.byName(request.params.name);
      if (!found) throw notFound(`user "${request.params.name}"`);
      const { role, password } = request.body;
      if (role === undefined && password === undefined) throw badRequest('body', 'give role or password');
      if (
        role !== undefined &&
        role !== 'admin' &&
        found.role === 'admin' &&
        (await users.adminCount()) === 1
      )
        throw new ApiError(409, 'last-admin', 'the last admin cannot lose the admin role');
      if (role !== undefined) await users.setRole(found.id, role);
      if (password !== undefined) await users.setPasswordHash(found.id, await hashPassword(password));
      await audit(
        request,
        'user.edit',
        { kind: 'user', name: found.name },
        {
          ...(role !== undefined ? { before: { role: found.role }, after: { role } } : {}),
          ...(password !== undefined ? { detail: 'password replaced' } : {}),
        },
      );
      return (await users.byId(found.id))!;
    },
  );

  r.delete(
    '/api/users/:name',
    {
      config: access('admin'),
      schema: { summary: 'Remove a user with their sessions and tokens', tags, params: NameParam },
    },
    async (request, reply) => {
      const found = await users.byName(request.params.name);
      if (!found) throw notFound(`user "${request.params.name}"`);
      if (found.role === 'admin' && (await users.adminCount()) === 1)
        throw new ApiError(409, 'last-admin', 'the last admin cannot be removed');
      await users.remove(found.id);
      await audit(
        request,
        'user.remove',
        { kind: 'user', name: found.name },
        {
          before: { name: found.name, role: found.role },
        },
      );
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/tokens',
    {
      config: access('admin'),
      schema: {
        summary: 'List API tokens (never the tokens themselves)',
        tags,
        response: { 200: z.object({ items: z.array(TokenView) }) },
      },
    },
    async () => ({ items: await tokens.list() }),
  );

  r.post(
    '/api/tokens',
    {
      config: access('admin'),
      schema: {
        summary: 'Create an API token; the token is in this answer only',
        tags,
        body: z.strictObject({
          user: z.string().max(64).optional().describe('the user it acts as; the caller by default'),
          name: z.string().min(1).max(100).default('token'),
        }),
        response: { 201: TokenView.extend({ token: z.string() }) },
      },
    },
    async (request, reply) => {
      const userName = request.body.user ?? request.principal!.name;
      const user = await users.byName(userName);
      if (!user) throw badRequest('body.user', `no user named "${userName}"`);
      const created = await tokens.create(user.id, request.body.name);
      await audit(
        request,
        'token.create',
        { kind: 'token', name: `${created.record.id}` },
        {
          after: { id: created.record.id, user: user.name, name: request.body.name },
        },
      );
      return reply.code(201).send({ ...created.record, token: created.token });
    },
  );

  r.delete(
    '/api/tokens/:id',
    {
      config: access('admin'),
      schema: {
        summary: 'Revoke an API token',
        tags,
        params: z.strictObject({ id: z.coerce.number().int().positive() }),
      },
    },
    async (request, reply) => {
      if (!(await tokens.revoke(request.params.id))) throw notFound(`token ${request.params.id}`);
      await audit(request, 'token.revoke', { kind: 'token', name: `${request.params.id}` });
      return reply.code(204).send();
    },
  );
}
