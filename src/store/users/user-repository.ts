import type { Store } from '../db/store.js';

/** Roles, each allowed what the one before it is and more (docs/api.md#roles). */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A user as the API and CLI show it: never the password hash. */
export interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

/** User names: letters, digits and `._@-`, 1 to 64 characters. */
export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export class UserRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<User[]> {
    const rows = await this.store.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(toUser);
  }

  async byName(name: string): Promise<User | undefined> {
    const row = await this.store.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async byId(id: number): Promise<User | undefined> {
    const row = await this.store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  /** The stored password hash of a user, for sign-in only. */
  async passwordHash(name: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row = await this.store.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.passwordHash };
  }

  async create(name: string, role: Role, passwordHash: string): Promise<User> {
    const at = this.now().toISOString();
    const row = await this.store.db
      .insertInto('users')
      .values({ name, role, passwordHash, createdAt: at, updatedAt: at })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUser(row);
  }

  async setRole(id: number, role: Role): Promise<void> {
    await this.store.db
      .updateTable('users')
      .set({ role, updatedAt: this.now().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** A new password signs the user out everywhere: their sessions go with the old one. */
  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.store.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({ passwordHash, updatedAt: this.now().toISOString() })
        .where('id', '=', id)
        .execute();
      await tx.deleteFrom('sessions').where('userId', '=', id).execute();
    });
  }

  /** Removes a user with their sessions and tokens. */
  async remove(id: number): Promise<void> {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sessions').where('userId', '=', id).execute();
      await tx.deleteFrom('apiTokens').where('userId', '=', id).execute();
      await tx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  /** How many admins there are: the last one cannot be removed or demoted. */
  async adminCount(): Promise<number> {
    const row = await this.store.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toUser(row: { id: number; name: string; role: string; createdAt: string; updatedAt: string }): User {
  return {
    id: Number(row.id),
    name: row.name,
    role: row.role as Role,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
