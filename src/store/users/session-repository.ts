import { randomBytes } from 'node:crypto';
import { hashOpaqueToken, newOpaqueToken } from '../../security/opaque-token.js';
import type { Store } from '../db/store.js';
import type { Role } from './user-repository.js';

/** A session lasts this long after its last use, and never longer than MAX_LIFETIME_MS. */
export const IDLE_TIMEOUT_MS = 8 * 60 * 60 * 1000;
const MAX_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** Last-seen times are written at most this often, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionUser {
  userId: number;
  name: string;
  role: Role;
  csrfToken: string;
}

/**
 * Server-side sessions (docs/api.md#authentication): the cookie carries a random value, the table its
 * SHA-256; logging out, a new password or removing the user deletes the row, which ends the session.
 */
export class SessionRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a session; returns the cookie value (shown only here) and its CSRF token. */
  async open(userId: number, address: string | null): Promise<{ cookie: string; csrfToken: string }> {
    const cookie = newOpaqueToken('mdecs_');
    const csrfToken = randomBytes(24).toString('base64url');
    const at = this.now();
    await this.store.db
      .insertInto('sessions')
      .values({
        idHash: hashOpaqueToken(cookie),
        userId,
        csrfToken,
        createdAt: at.toISOString(),
        lastSeenAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + MAX_LIFETIME_MS).toISOString(),
        address,
      })
      .execute();
    return { cookie, csrfToken };
  }

  /** The user of a live session, or undefined; an idle or expired session is deleted. */
  async resolve(cookie: string): Promise<SessionUser | undefined> {
    const idHash = hashOpaqueToken(cookie);
    const row = await this.store.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.userId')
      .select([
        'sessions.userId',
        'sessions.csrfToken',
        'sessions.lastSeenAt',
        'sessions.expiresAt',
        'users.name',
        'users.role',
      ])
      .where('sessions.idHash', '=', idHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.now().getTime();
    const lastSeen = Date.parse(row.lastSeenAt);
    if (now >= Date.parse(row.expiresAt) || now - lastSeen >= IDLE_TIMEOUT_MS) {
      await this.close(cookie);
      return undefined;
    }
    if (now - lastSeen >= TOUCH_EVERY_MS)
      await this.store.db
        .updateTable('sessions')
        .set({ lastSeenAt: new Date(now).toISOString() })
        .where('idHash', '=', idHash)
        .execute();
    return { userId: Number(row.userId), name: row.name, role: row.role as Role, csrfToken: row.csrfToken };
  }

  async close(cookie: string): Promise<void> {
    await this.store.db.deleteFrom('sessions').where('idHash', '=', hashOpaqueToken(cookie)).execute();
  }
}
