import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** Where the master key of one database lives, and the older shared key file it may take over. */
export interface KeyFilePlan {
  path: string;
  /** A key file of an older layout that may hold this database's key. */
  legacy?: {
    path: string;
    /**
     * Whether other databases may still need the legacy file: then it is copied to `path`, otherwise
     * moved.
     */
    shared: () => boolean;
  };
  /** The folder to create (0700) when it does not exist: only the per-user one. */
  privateDir?: string;
}

/**
 * The master-key file of a database: MDEC_KEY_FILE when set; else named after the SQLite file beside
 * it (`data/mdec.sqlite.key`); else, for PostgreSQL, one per server and database in the user's
 * `~/.config/mdec/` (`HOST-PORT-DATABASE.key`). Each database has its own key, so a key lost or
 * replaced affects one database only. The shared files of older versions (`mdec.key` beside the
 * SQLite file, `~/.config/mdec/master.key`) are taken over once.
 */
export function keyFilePlan(db: string, env: NodeJS.ProcessEnv = process.env): KeyFilePlan {
  if (env.MDEC_KEY_FILE) return { path: resolve(env.MDEC_KEY_FILE) };
  if (!/^postgres(ql)?:\/\//i.test(db)) {
    const file = resolve(db);
    return {
      path: `${file}.key`,
      legacy: { path: join(dirname(file), 'mdec.key'), shared: () => otherSqliteFiles(file) },
    };
  }
  const dir = join(homedir(), '.config', 'mdec');
  return {
    path: join(dir, `${postgresKeyName(db, env)}.key`),
    // Every PostgreSQL database used the one file: other databases may still need it.
    legacy: { path: join(dir, 'master.key'), shared: () => true },
    privateDir: dir,
  };
}

/** `HOST-PORT-DATABASE` of a PostgreSQL URL, with libpq's defaults, safe as a file name. */
export function postgresKeyName(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const u = new URL(url);
  const host = decodeURIComponent(u.hostname) || u.searchParams.get('host') || env.PGHOST || 'localhost';
  const port = u.port || env.PGPORT || '5432';
  const user = decodeURIComponent(u.username) || env.PGUSER || 'postgres';
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || env.PGDATABASE || user;
  return [host, port, database].map((part) => part.replace(/[^A-Za-z0-9._]/g, '_')).join('-');
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Whether the folder of `file` holds another SQLite database (which may use the shared key). */
function otherSqliteFiles(file: string): boolean {
  const dir = dirname(file);
  const own = basename(file);
  for (const name of readdirSync(dir)) {
    if (name === own || name.endsWith('-wal') || name.endsWith('-shm') || name.endsWith('-journal')) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      const fd = openSync(path, 'r');
      try {
        const head = Buffer.alloc(SQLITE_HEADER.length);
        readSync(fd, head, 0, head.length, 0);
        if (head.toString('latin1') === SQLITE_HEADER) return true;
      } finally {
        closeSync(fd);
      }
    } catch {
      // A file that cannot be read is not a database this user runs.
    }
  }
  return false;
}
