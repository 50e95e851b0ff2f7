import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashOpaqueToken } from '../security/opaque-token.js';
import { ApiTokenRepository } from '../store/users/api-token-repository.js';
import { SessionRepository } from '../store/users/session-repository.js';
import type { ApiContext, Principal } from './api-context.js';
import { ApiError } from './api-error.js';
import { PrincipalCache } from './principal-cache.js';
import { allows } from './roles.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'mdec_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Who is asking, checked before a request body is even read (docs/api.md#authentication): a bearer
 * token, else the session cookie. Then the route's access level: none signed in is 401, a role below
 * it 403, and a change made with a session cookie needs that session's CSRF token in `x-csrf-token`
 * (a bearer token cannot be sent by another site, a cookie can).
 */
export function registerAuthentication(app: FastifyInstance, ctx: ApiContext): void {
  const sessions = new SessionRepository(ctx.store, ctx.now);
  const tokens = new ApiTokenRepository(ctx.store, ctx.now);
  const tokenUsers = new PrincipalCache<NonNullable<TokenUser>>(ctx.now);
  const sessionUsers = new PrincipalCache<NonNullable<SessionUser>>(ctx.now);
  const known: Credentials = {
    resolveToken: (token, marker) =>
      tokenUsers.resolve(hashOpaqueToken(token), marker, () => tokens.resolve(token)),
    resolveSession: (cookie, marker) =>
      sessionUsers.resolve(hashOpaqueToken(cookie), marker, () => sessions.resolve(cookie)),
  };
  app.addHook('onRequest', async (request) => {
    const level = request.routeOptions.config.access;
    // Unknown routes reach the not-found handler; every registered route declares its access.
    if (request.routeOptions.url === undefined) return;
    if (level === undefined) throw new Error(`route ${request.routeOptions.url} declares no access level`);
    const found = await principalOf(request, known, () => ctx.reads.markerOf(request));
    if (found) request.principal = found.principal;
    if (level === 'public') return;
    if (!found) throw new ApiError(401, 'unauthenticated', 'sign in, or send Authorization: Bearer TOKEN');
    if (!allows(found.principal.role, level))
      throw new ApiError(
        403,
        'forbidden',
        `this needs the ${level} role; ${found.principal.name} is ${found.principal.role}`,
      );
    if (found.csrfToken !== undefined && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameText(sent, found.csrfToken))
        throw new ApiError(
          403,
          'csrf',
          `a change made with a session cookie needs its CSRF token in ${CSRF_HEADER}`,
        );
    }
  });
}

type TokenUser = Awaited<ReturnType<ApiTokenRepository['resolve']>>;
type SessionUser = Awaited<ReturnType<SessionRepository['resolve']>>;

/** Bearer tokens and session cookies, each resolved once per store change marker (principal-cache.ts). */
interface Credentials {
  resolveToken(token: string, marker: string): Promise<TokenUser>;
  resolveSession(cookie: string, marker: string): Promise<SessionUser>;
}

async function principalOf(
  request: FastifyRequest,
  known: Credentials,
  marker: () => Promise<string>,
): Promise<{ principal: Principal; csrfToken?: string } | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match ? await known.resolveToken(match[1]!, await marker()) : undefined;
    // A wrong token is an error even if a cookie came along: a script should hear that its token failed.
    if (!user) throw new ApiError(401, 'unauthenticated', 'the bearer token is unknown or revoked');
    return { principal: { ...user, via: 'token' } };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const session = await known.resolveSession(cookie, await marker());
  if (!session) return undefined;
  return {
    principal: { userId: session.userId, name: session.name, role: session.role, via: 'session' },
    csrfToken: session.csrfToken,
  };
}
