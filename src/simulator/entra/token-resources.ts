/**
 * Resources the simulated tenant issues tokens for (docs/mde-api.md#sign-in): the two WindowsDefenderATP
 * names the docs use, the Defender XDR resource, and the GCC High/DoD and GCC names public connectors use.
 */
export const MDE_TOKEN_RESOURCES = [
  'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.security.microsoft.com',
  'https://securitycenter.onmicrosoft.us/windowsatpservice',
  'https://api-gov.securitycenter.microsoft.us',
  'https://api-gcc.securitycenter.microsoft.us',
] as const;

/**
 * Matches a requested resource (v1 `resource`, or a v2 scope without `/.default`) against the known
 * ones, ignoring case and trailing slashes as Entra's identifier-URI lookup does.
 */
export class TokenResources {
  private readonly byKey = new Map<string, string>();

  constructor(extraResources: readonly string[] = []) {
    for (const resource of [...MDE_TOKEN_RESOURCES, ...extraResources]) {
      const key = resourceKey(resource);
      if (key && !this.byKey.has(key)) this.byKey.set(key, resource.replace(/\/+$/, ''));
    }
  }

  /** The canonical spelling of a known resource, or undefined when Entra would not find it. */
  resolve(requested: string): string | undefined {
    return this.byKey.get(resourceKey(requested));
  }

  list(): string[] {
    return [...this.byKey.values()];
  }
}

function resourceKey(resource: string): string {
  return resource.trim().replace(/\/+$/, '').toLowerCase();
}
