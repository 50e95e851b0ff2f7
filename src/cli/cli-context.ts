import { resolve } from 'node:path';
import { keyFilePlan } from '../security/master-key-file.js';
import { SecretBox } from '../security/secret-box.js';
import { DatabaseLocationError, DatabaseMissingError, openStore } from '../store/db/open-store.js';
import { dialectOf } from '../store/db/sql-dialect.js';
import type { Store } from '../store/db/store.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_DB = './data/mdec.sqlite';

/** Global flags every command shares. */
export interface GlobalFlags {
  db?: string;
  json?: boolean;
}

/** Where the database is and who said so, for messages that name the flag or variable to fix. */
export interface DatabaseChoice {
  location: string;
  from: '--db' | 'MDEC_DB' | 'the default';
}

/** `--db`, else MDEC_DB, else ./data/mdec.sqlite; a SQLite path made absolute. */
export function databaseChoice(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): DatabaseChoice {
  const [given, from] =
    flags.db !== undefined
      ? [flags.db, '--db' as const]
      : env.MDEC_DB
        ? [env.MDEC_DB, 'MDEC_DB' as const]
        : [DEFAULT_DB, 'the default' as const];
  // A URL stays as given: `mysql://foo` is refused as such, not made into the path ./mysql:/foo.
  const isPath =
    dialectOf(given) === 'sqlite' && given !== ':memory:' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  const location = isPath ? resolve(given) : given;
  return { location, from };
}

/** Where the database is: `--db`, else MDEC_DB, else ./data/mdec.sqlite. */
export function databaseLocation(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): string {
  return databaseChoice(flags, env).location;
}

/**
 * How a command uses the database. Only commands that set one up (`connector add`, `migrate`, `demo`)
 * create it; every other command needs it to exist, so a mistyped `--db` is an error, not an empty
 * new database.
 */
export type DatabaseUse = 'existing' | 'create';

/** Says something to the person at the terminal on stderr (a JSON line with `--json`). */
export type Notify = (message: string) => void;

export function notifier(json: boolean, stream: NodeJS.WritableStream = process.stderr): Notify {
  return (message) => stream.write(json ? `${JSON.stringify({ notice: message })}\n` : `mdec: ${message}\n`);
}

export interface CliContext {
  store: Store;
  /**
   * Where the store was opened, as given (a PostgreSQL password included), for threads that open it
   * again; never printed (`store.location` is the form to show).
   */
  storeOpenedAt: string;
  secrets: SecretBox;
  json: boolean;
  note: Notify;
  close(): Promise<void>;
}

/**
 * Opens the store a command works on, by the rules of DatabaseUse. A missing database or a location of
 * an unknown kind is bad input (exit 2) that names where the location came from; a database created
 * here is announced once.
 */
export async function openStoreFor(
  flags: GlobalFlags,
  use: DatabaseUse,
  note: Notify,
  env: NodeJS.ProcessEnv = process.env,
  options: { migrate?: boolean } = {},
): Promise<Store> {
  const choice = databaseChoice(flags, env);
  const source =
    choice.from === 'the default' ? 'the default; choose one with --db or MDEC_DB' : `from ${choice.from}`;
  let store: Store;
  try {
    store = await openStore(choice.location, { ...options, create: use === 'create' });
  } catch (err) {
    if (err instanceof DatabaseLocationError)
      throw new UsageError(`${choice.from === 'the default' ? '--db' : choice.from}: ${err.message}`);
    if (err instanceof DatabaseMissingError) {
      const fix =
        err.createdBy === 'server'
          ? 'create it on the server first (createdb), or check --db and MDEC_DB'
          : 'check --db and MDEC_DB; `mdec migrate` or `mdec connector add` creates a database';
      throw new UsageError(`${err.message} (${source}): ${fix}`);
    }
    throw err;
  }
  if (store.created) note(`created database at ${store.location}`);
  return store;
}

export async function openCliContext(
  flags: GlobalFlags,
  use: DatabaseUse,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliContext> {
  const json = flags.json ?? false;
  const note = notifier(json);
  const store = await openStoreFor(flags, use, note, env);
  const secrets =
    store.location === ':memory:'
      ? SecretBox.fromKey(
          Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
          'made for this in-memory database',
        )
      : SecretBox.load(env, keyFilePlan(databaseChoice(flags, env).location, env), note);
  const storeOpenedAt = databaseChoice(flags, env).location;
  return { store, storeOpenedAt, secrets, json, note, close: () => store.close() };
}

/** True when output goes to a person (a terminal) rather than a script. */
export function isInteractive(): boolean {
  return process.stdout.isTTY === true;
}
