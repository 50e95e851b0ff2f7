import type { Command } from 'commander';
import { ApiTokenRepository } from '../store/users/api-token-repository.js';
import { UserRepository } from '../store/users/user-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, printTable } from './output.js';
import { UsageError } from './usage-error.js';

/** `mdec token create|list|revoke` (docs/api.md#users-and-tokens). */
export function registerTokenCommand(program: Command, globals: () => GlobalFlags): void {
  const token = program.command('token').description('API tokens for scripts (Authorization: Bearer)');

  token
    .command('create')
    .description('create an API token for a user; it is printed once and never again')
    .requiredOption('--user <name>', 'the user the token acts as')
    .option('--name <label>', 'a label to tell tokens apart', 'token')
    .action(async (flags: { user: string; name: string }) => {
      if (!flags.name.trim() || flags.name.length > 100) throw new UsageError('--name: 1 to 100 characters');
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const user = await new UserRepository(ctx.store).byName(flags.user);
        if (!user) throw new UsageError(`--user: no user named "${flags.user}"`);
        const created = await new ApiTokenRepository(ctx.store).create(user.id, flags.name.trim());
        if (ctx.json) printJson({ ...created.record, token: created.token });
        else
          process.stdout.write(
            `${created.token}\n(token ${created.record.id} for "${user.name}"; it is shown only this once)\n`,
          );
      } finally {
        await ctx.close();
      }
    });

  token
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .option('--user <name>', "only this user's tokens")
    .action(async (flags: { user?: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        let userId: number | undefined;
        if (flags.user !== undefined) {
          const user = await new UserRepository(ctx.store).byName(flags.user);
          if (!user) throw new UsageError(`--user: no user named "${flags.user}"`);
          userId = user.id;
        }
        const all = await new ApiTokenRepository(ctx.store).list(userId);
        if (ctx.json) printJson(all);
        else
          printTable(
            ['id', 'user', 'name', 'prefix', 'created', 'last used', 'revoked'],
            all.map((t) => [
              String(t.id),
              t.user,
              t.name,
              `${t.prefix}…`,
              t.createdAt,
              t.lastUsedAt ?? '-',
              t.revokedAt ?? '-',
            ]),
          );
      } finally {
        await ctx.close();
      }
    });

  token
    .command('revoke')
    .description('revoke an API token')
    .argument('<id>', 'the token id (from `mdec token list`)')
    .action(async (id: string) => {
      if (!/^\d+$/.test(id)) throw new UsageError(`the token id is a number (got "${id}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const ok = await new ApiTokenRepository(ctx.store).revoke(Number(id));
        if (!ok) throw new UsageError(`no token with id ${id}`);
        if (ctx.json) printJson({ revoked: Number(id) });
        else process.stdout.write(`Revoked token ${id}.\n`);
      } finally {
        await ctx.close();
      }
    });
}
