import type { Command } from 'commander';
import { hashPassword, passwordProblem } from '../security/password-hash.js';
import { ROLES, type Role, USER_NAME, UserRepository } from '../store/users/user-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, printTable } from './output.js';
import { UsageError } from './usage-error.js';

function roleFrom(value: string | undefined): Role {
  if (!value || !(ROLES as readonly string[]).includes(value))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${value ?? ''}")`);
  return value as Role;
}

/** The password from an environment variable, never from an argument (it would show in `ps`). */
function passwordFrom(variable: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (!variable) throw new UsageError('--password-env VAR is required: the variable holding the password');
  const value = env[variable];
  if (!value) throw new UsageError(`--password-env: the environment variable ${variable} is not set`);
  const problem = passwordProblem(value);
  if (problem) throw new UsageError(`--password-env: ${problem}`);
  return value;
}

/** `mdec user add|list|remove|set-password|set-role` (docs/api.md#users-and-tokens). */
export function registerUserCommand(program: Command, globals: () => GlobalFlags): void {
  const user = program.command('user').description('add, list and change the users of mdec serve');

  user
    .command('add')
    .description('add a user')
    .requiredOption('--name <name>', 'user name')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .requiredOption('--password-env <VAR>', 'read the password from this environment variable')
    .action(async (flags: { name: string; role: string; passwordEnv: string }) => {
      if (!USER_NAME.test(flags.name))
        throw new UsageError('--name: 1 to 64 letters, digits, ".", "_", "@" or "-"');
      const role = roleFrom(flags.role);
      const password = passwordFrom(flags.passwordEnv);
      const ctx = await openCliContext(globals(), 'create');
      try {
        const users = new UserRepository(ctx.store);
        if (await users.byName(flags.name))
          throw new UsageError(`--name: a user named "${flags.name}" exists already`);
        const created = await users.create(flags.name, role, await hashPassword(password));
        if (ctx.json) printJson(created);
        else process.stdout.write(`Added user "${created.name}" (${created.role}).\n`);
      } finally {
        await ctx.close();
      }
    });

  user
    .command('list')
    .description('list users')
    .action(async () => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const all = await new UserRepository(ctx.store).list();
        if (ctx.json) printJson(all);
        else if (all.length === 0) process.stdout.write('No users yet: add one with `mdec user add`.\n');
        else
          printTable(
            ['name', 'role', 'created'],
            all.map((u) => [u.name, u.role, u.createdAt]),
          );
      } finally {
        await ctx.close();
      }
    });

  user
    .command('remove')
    .description('remove a user, with their sessions and API tokens')
    .requiredOption('--name <name>', 'the user')
    .action(async (flags: { name: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const users = new UserRepository(ctx.store);
        const found = await users.byName(flags.name);
        if (!found) throw new UsageError(`--name: no user named "${flags.name}"`);
        await users.remove(found.id);
        if (ctx.json) printJson({ removed: found.name });
        else process.stdout.write(`Removed user "${found.name}".\n`);
      } finally {
        await ctx.close();
      }
    });

  user
    .command('set-password')
    .description("change a user's password (signs them out everywhere)")
    .requiredOption('--name <name>', 'the user')
    .requiredOption('--password-env <VAR>', 'read the new password from this environment variable')
    .action(async (flags: { name: string; passwordEnv: string }) => {
      const password = passwordFrom(flags.passwordEnv);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const users = new UserRepository(ctx.store);
        const found = await users.byName(flags.name);
        if (!found) throw new UsageError(`--name: no user named "${flags.name}"`);
        await users.setPasswordHash(found.id, await hashPassword(password));
        if (ctx.json) printJson({ name: found.name, passwordChanged: true });
        else process.stdout.write(`Changed the password of "${found.name}".\n`);
      } finally {
        await ctx.close();
      }
    });

  user
    .command('set-role')
    .description("change a user's role")
    .requiredOption('--name <name>', 'the user')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .action(async (flags: { name: string; role: string }) => {
      const role = roleFrom(flags.role);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const users = new UserRepository(ctx.store);
        const found = await users.byName(flags.name);
        if (!found) throw new UsageError(`--name: no user named "${flags.name}"`);
        await users.setRole(found.id, role);
        if (ctx.json) printJson({ ...found, role });
        else process.stdout.write(`"${found.name}" is now ${role}.\n`);
      } finally {
        await ctx.close();
      }
    });
}
