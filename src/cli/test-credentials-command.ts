import type { Command } from 'commander';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { MdeClient } from '../mde/mde-client.js';
import { AuthError, isMdeError, NotLicensedError } from '../mde/mde-errors.js';
import { ConnectorRepository } from '../store/connector-repository.js';
import type { DataType } from '../sync/connector-options.js';
import { createSignIn } from '../sync/mde-client-factory.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson } from './output.js';
import { EXIT, UsageError } from './usage-error.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The permission each data type needs (mde-api.md 9) and an endpoint that proves it works. */
const NEEDS: Record<
  DataType,
  { role: string[]; path: string; family: 'entity' | 'tvmEntity' | 'assessmentJson' }
> = {
  machines: {
    role: ['Machine.Read.All', 'Machine.ReadWrite.All'],
    path: '/api/machines?$top=1',
    family: 'entity',
  },
  vulnerabilities: {
    role: ['Vulnerability.Read.All'],
    path: '/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=1',
    family: 'assessmentJson',
  },
  'vulnerability-definitions': {
    role: ['Vulnerability.Read.All'],
    path: '/api/vulnerabilities?$top=1',
    family: 'tvmEntity',
  },
  software: { role: ['Software.Read.All'], path: '/api/Software?$top=1', family: 'tvmEntity' },
  'installed-software': {
    role: ['Software.Read.All'],
    path: '/api/machines/SoftwareInventoryByMachine?pageSize=1',
    family: 'assessmentJson',
  },
  recommendations: {
    role: ['SecurityRecommendation.Read.All'],
    path: '/api/recommendations?$top=1',
    family: 'tvmEntity',
  },
  alerts: { role: ['Alert.Read.All', 'Alert.ReadWrite.All'], path: '/api/alerts?$top=1', family: 'entity' },
};

function rolesOf(token: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      roles?: unknown;
    };
    return Array.isArray(payload.roles) ? payload.roles.map(String) : [];
  } catch {
    return [];
  }
}

/** `mdec test-credentials --connector NAME`: sign-in, permissions and endpoints, each with its fix. */
export function registerTestCredentialsCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('test-credentials')
    .description('check sign-in, permissions and endpoints of a connector')
    .requiredOption('--connector <name>', 'the connector')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust')
    .action(async (flags: { connector: string; caFile?: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      const checks: Check[] = [];
      try {
        const repo = new ConnectorRepository(ctx.store, ctx.secrets);
        const connector = await repo.byName(flags.connector);
        if (!connector) throw new UsageError(`--connector: no connector named "${flags.connector}"`);
        const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
        const limiter = new ClientRateLimiter();
        const { endpoints, transport, tokenProvider } = createSignIn(
          connector,
          await repo.credentials(connector.id),
          {
            limiter,
            ...(caFile ? { caFile } : {}),
          },
        );
        let token: string | undefined;
        try {
          token = await tokenProvider.getToken();
          checks.push({
            check: 'sign-in',
            ok: true,
            detail: `token from ${endpoints.loginUrl} for ${endpoints.scope}`,
          });
        } catch (err) {
          const fix =
            err instanceof AuthError
              ? 'check the tenant id, client id and secret or certificate in Entra ID > App registrations'
              : 'check the login URL, the network and any proxy (HTTPS_PROXY)';
          checks.push({ check: 'sign-in', ok: false, detail: (err as Error).message, fix });
        }
        if (token) {
          const roles = rolesOf(token);
          const client = new MdeClient({
            apiUrl: endpoints.apiUrl,
            tokenProvider,
            transport,
            limiter: limiter.forApp(connector.tenantId, connector.clientId),
            maxRetries: 2,
          });
          for (const type of connector.options.dataTypes) {
            const need = NEEDS[type];
            const has = need.role.some((r) => roles.includes(r));
            checks.push({
              check: `permission for ${type}`,
              ok: has,
              detail: has
                ? `token has ${need.role.find((r) => roles.includes(r))}`
                : `token lacks ${need.role.join(' or ')}`,
              ...(has
                ? {}
                : {
                    fix: `add the WindowsDefenderATP application permission ${need.role[0]} and grant admin consent`,
                  }),
            });
            try {
              await client.getJson(need.family, need.path);
              checks.push({
                check: `endpoint for ${type}`,
                ok: true,
                detail: `GET ${need.path.split('?')[0]} answered`,
              });
            } catch (err) {
              const fix =
                err instanceof NotLicensedError
                  ? 'this needs Defender Vulnerability Management (MDE Plan 2 or the add-on) and consent to the permission'
                  : isMdeError(err)
                    ? 'see the message; check the API URL and the app permissions'
                    : 'check the API URL, the network and any proxy';
              checks.push({ check: `endpoint for ${type}`, ok: false, detail: (err as Error).message, fix });
            }
          }
        }
      } finally {
        await ctx.close();
      }
      if (ctx.json) printJson(checks);
      else {
        for (const c of checks) {
          process.stdout.write(
            `${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}\n`,
          );
        }
      }
      process.exitCode = checks.every((c) => c.ok) ? EXIT.ok : EXIT.failure;
    });
}
