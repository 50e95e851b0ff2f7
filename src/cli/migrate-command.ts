import type { Command } from 'commander';
import { migrateToLatest } from '../store/migrate.js';
import { openStore } from '../store/open-store.js';
import { databaseLocation, type GlobalFlags } from './cli-context.js';
import { printJson } from './output.js';

/** `mdec migrate`: brings the database schema up to date (also done on every start). */
export function registerMigrateCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('migrate')
    .description('create or update the database schema')
    .action(async () => {
      const flags = globals();
      const store = await openStore(databaseLocation(flags), { migrate: false });
      try {
        const result = await migrateToLatest(store);
        const applied = (result.results ?? [])
          .filter((r) => r.status === 'Success')
          .map((r) => r.migrationName);
        if (flags.json) printJson({ database: store.location, applied });
        else {
          process.stdout.write(
            applied.length
              ? `Applied ${applied.join(', ')} to ${store.location}.\n`
              : `${store.location} is up to date.\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
