import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { MAX_PASSWORD_LENGTH, verifyPassword } from '../../security/password-hash.js';
import { IDLE_TIMEOUT_MS, SessionRepository } from '../../store/users/session-repository.js';
import { ROLES, UserRepository } from '../../store/users/user-repository.js';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-error.js';
import { SESSION_COOKIE } from '../authenticate.js';
import { access } from '../roles.js';

export const SignedInUser = z.object({ name: z.string(), role: z.enum(ROLES) });

/**
 * A hash to compare against when the user does not exist, so a wrong name costs the same time as a
 * wrong password and does not tell which names exist.
 */
const DECOY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me` (docs/api.md#authentication). */
export function registerAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const users = new UserRepository(ctx.store, ctx.now);
  const sessions = new SessionRepository(ctx.store, ctx.now);

  r.post(
    '/api/auth/login',
    {
      config: { ...access('public'), rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        summary: 'Sign in: sets the session cookie and returns the CSRF token for changes',
        tags: ['auth'],
        security: [],
        body: z.strictObject({
          username: z.string().min(1).max(64),
          password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
        }),
        response: { 200: z.object({ user: SignedInUser, csrfToken: z.string() }) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const wait = ctx.throttle.retryAfter(username, request.ip);
      if (wait > 0)
        throw new ApiError(429, 'throttled', `too many failed sign-ins; try again in ${wait} s`, [
          { path: 'retryAfter', message: String(wait) },
        ]);
      const found = await users.passwordHash(username);
      const ok = await verifyPassword(password, found?.passwordHash ?? DECOY_HASH);
      if (!found || !ok) {
        ctx.throttle.failed(username, request.ip);
        throw new ApiError(401, 'bad-credentials', 'wrong user name or password');
      }
      ctx.throttle.succeeded(username);
      const { cookie, csrfToken } = await sessions.open(found.user.id, request.ip);
      void reply.setCookie(SESSION_COOKIE, cookie, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.tls,
        path: '/',
        maxAge: Math.floor(IDLE_TIMEOUT_MS / 1000),
      });
      return { user: { name: found.user.name, role: found.user.role }, csrfToken };
    },
  );

  r.post(
    '/api/auth/logout',
    {
      config: access('viewer'),
      schema: {
        summary: 'Sign out: ends the session',
        tags: ['auth'],
        response: { 200: z.object({ signedOut: z.boolean() }) },
      },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await sessions.close(cookie);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { signedOut: true };
    },
  );

  r.get(
    '/api/auth/me',
    {
      config: access('viewer'),
      schema: {
        summary: 'Who is signed in, and the CSRF token of the session',
        tags: ['auth'],
        response: { 200: z.object({ user: SignedInUser, csrfToken: z.string().optional() }) },
      },
    },
    async (request) => {
      const p = request.principal!;
      const cookie = request.cookies[SESSION_COOKIE];
      const session = p.via === 'session' && cookie ? await sessions.resolve(cookie) : undefined;
      return {
        user: { name: p.name, role: p.role },
        ...(session ? { csrfToken: session.csrfToken } : {}),
      };
    },
  );
}
