import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SecretBox } from '../security/secret-box.js';
import { openStore, type Store } from '../store/open-store.js';
import { dialectOf } from '../store/sql-dialect.js';

export const DEFAULT_DB = './data/mdec.sqlite';

/** Global flags every command shares (design.md 6). */
export interface GlobalFlags {
  db?: string;
  json?: boolean;
}

/** Where the database is: `--db`, else MDEC_DB, else ./data/mdec.sqlite. */
export function databaseLocation(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): string {
  const location = flags.db ?? env.MDEC_DB ?? DEFAULT_DB;
  return dialectOf(location) === 'sqlite' && location !== ':memory:' ? resolve(location) : location;
}

/**
 * The master-key file: MDEC_KEY_FILE, else beside the SQLite file, else in ~/.config/mdec for
 * PostgreSQL (design.md 7: created 0600 on first run when MDEC_MASTER_KEY is not set).
 */
export function keyFileLocation(db: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MDEC_KEY_FILE) return resolve(env.MDEC_KEY_FILE);
  if (dialectOf(db) === 'sqlite' && db !== ':memory:') return join(dirname(db), 'mdec.key');
  return join(homedir(), '.config', 'mdec', 'master.key');
}

export interface CliContext {
  store: Store;
  secrets: SecretBox;
  json: boolean;
  close(): Promise<void>;
}

export async function openCliContext(
  flags: GlobalFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliContext> {
  const db = databaseLocation(flags, env);
  const store = await openStore(db);
  const secrets = SecretBox.load(env, keyFileLocation(db, env));
  return { store, secrets, json: flags.json ?? false, close: () => store.close() };
}

/** True when output goes to a person (a terminal) rather than a script. */
export function isInteractive(): boolean {
  return process.stdout.isTTY === true;
}
