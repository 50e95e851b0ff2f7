import type {} from 'fastify';
import { ROLES, type Role } from '../store/users/user-repository.js';

/**
 * Who may call a route (docs/api.md#roles): `public` needs no sign-in; otherwise the least role.
 * viewer reads and exports; analyst also syncs and acts on machines; admin also manages connectors,
 * maps, users and tokens.
 */
export type Access = 'public' | Role;

/** True when `role` is at least `needed`. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Declares a route's access in its config; every route has one (the app refuses a route without). */
export const access = (level: Access) => ({ access: level });

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
