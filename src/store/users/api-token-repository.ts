import { hashOpaqueToken, newOpaqueToken } from '../../security/opaque-token.js';
import type { Store } from '../db/store.js';
import type { Role } from './user-repository.js';

/** An API token as lists show it: never the token, only its first characters. */
export interface ApiToken {
  id: number;
  user: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
const TOKEN_PREFIX = 'mdec_';
/** Last-used times are written at most this often. */
const TOUCH_EVERY_MS = 60 * 1000;

/** Bearer tokens of scripts (docs/api.md#authentication): stored as SHA-256, shown once, revocable. */
export class ApiTokenRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a token for a user; the returned `token` is the only time it is shown. */
  async create(userId: number, name: string): Promise<{ token: string; record: ApiToken }> {
    const token = newOpaqueToken(TOKEN_PREFIX);
    const row = await this.store.db
      .insertInto('apiTokens')
      .values({
        userId,
        name,
        tokenHash: hashOpaqueToken(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        createdAt: this.now().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const record = await this.byId(Number(row.id));
    return { token, record: record! };
  }

  async list(userId?: number): Promise<ApiToken[]> {
    let q = this.select();
    if (userId !== undefined) q = q.where('apiTokens.userId', '=', userId);
    return (await q.orderBy('apiTokens.id').execute()).map(toToken);
  }

  async byId(id: number): Promise<ApiToken | undefined> {
    const row = await this.select().where('apiTokens.id', '=', id).executeTakeFirst();
    return row && toToken(row);
  }

  /** Revokes a token (kept, marked revoked, so lists show when); false when there is none. */
  async revoke(id: number): Promise<boolean> {
    const result = await this.store.db
      .updateTable('apiTokens')
      .set({ revokedAt: this.now().toISOString() })
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 || (await this.byId(id)) !== undefined;
  }

  /** The user a live token belongs to, recording when it was last used; undefined when unknown or revoked. */
  async resolve(token: string): Promise<{ userId: number; name: string; role: Role } | undefined> {
    const row = await this.store.db
      .selectFrom('apiTokens')
      .innerJoin('users', 'users.id', 'apiTokens.userId')
      .select(['apiTokens.id', 'apiTokens.userId', 'apiTokens.lastUsedAt', 'users.name', 'users.role'])
      .where('apiTokens.tokenHash', '=', hashOpaqueToken(token))
      .where('apiTokens.revokedAt', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.now();
    if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) >= TOUCH_EVERY_MS)
      await this.store.db
        .updateTable('apiTokens')
        .set({ lastUsedAt: now.toISOString() })
        .where('id', '=', row.id)
        .execute();
    return { userId: Number(row.userId), name: row.name, role: row.role as Role };
  }

  private select() {
    return this.store.db
      .selectFrom('apiTokens')
      .innerJoin('users', 'users.id', 'apiTokens.userId')
      .select([
        'apiTokens.id',
        'users.name as user',
        'apiTokens.name',
        'apiTokens.prefix',
        'apiTokens.createdAt',
        'apiTokens.lastUsedAt',
        'apiTokens.revokedAt',
      ]);
  }
}

function toToken(row: {
  id: number;
  user: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}): ApiToken {
  return { ...row, id: Number(row.id) };
}
