import type { Command } from 'commander';
import { migrateToLatest } from '../store/db/migrate.js';
import { type GlobalFlags, notifier, openStoreFor } from './cli-context.js';
import { printJson } from './output.js';

/** `mdec migrate`: creates the database or brings its schema up to date (also done on every start). */
export function registerMigrateCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('migrate')
    .description('create the database, or update its schema')
    .action(async () => {
      const flags = globals();
      const store = await openStoreFor(flags, 'create', notifier(flags.json ?? false), process.env, {
        migrate: false,
      });
      try {
        const result = await migrateToLatest(store);
        const applied = (result.results ?? [])
          .filter((r) => r.status === 'Success')
          .map((r) => r.migrationName);
        if (flags.json) printJson({ database: store.location, applied });
        else {
          process.stdout.write(
            applied.length
              ? `Brought ${store.location} up to date (${applied.length} schema ${applied.length === 1 ? 'update' : 'updates'} applied).\n`
              : `${store.location} is up to date.\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
