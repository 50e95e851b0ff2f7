import { createHash } from 'node:crypto';

/**
 * An Entra app registration as the simulator needs it (docs/mde-api.md#sign-in): its credentials, the
 * WindowsDefenderATP application permissions it was given (docs/mde-api.md#permissions) and whether an admin
 * granted consent. Arrays are read on every request, so tests may change them between calls.
 */
export interface AppRegistration {
  /** The application (client) id, a GUID. */
  clientId: string;
  displayName: string;
  /** Client secret values (not the secret ids the portal also shows). */
  secrets: string[];
  /** PEM X.509 certificates whose keys may sign client assertions. */
  certificates: string[];
  /** Application permissions, e.g. `Machine.Read.All`; they become the token's `roles` claim. */
  roles: string[];
  /** Admin consent granted; without it Entra refuses tokens with AADSTS65001. */
  consented: boolean;
  /** Object id of the app's service principal in the tenant; derived from the ids when absent. */
  servicePrincipalId?: string;
}

export interface EntraTenant {
  tenantId: string;
  /** Directory name used in error messages (Entra says "the directory 'Contoso'"). */
  displayName?: string;
  /** Verified domains that may stand in for the tenant id in the token URL, e.g. contoso.onmicrosoft.com. */
  domains?: string[];
  apps: AppRegistration[];
}

/** Client ids are GUIDs, so the lookup ignores case as Entra does. */
export function findApp(apps: readonly AppRegistration[], clientId: string): AppRegistration | undefined {
  const wanted = clientId.trim().toLowerCase();
  return apps.find((app) => app.clientId.toLowerCase() === wanted);
}

/** True when the `{tenant}` path segment names this tenant: its id or a verified domain, any case. */
export function tenantMatches(tenant: Pick<EntraTenant, 'tenantId' | 'domains'>, segment: string): boolean {
  const wanted = segment.trim().toLowerCase();
  if (!wanted) return false;
  if (tenant.tenantId.toLowerCase() === wanted) return true;
  return (tenant.domains ?? []).some((domain) => domain.toLowerCase() === wanted);
}

/** A stable GUID-shaped object id, so the `oid` claim stays the same across restarts. */
export function servicePrincipalObjectId(tenantId: string, app: AppRegistration): string {
  if (app.servicePrincipalId) return app.servicePrincipalId;
  const hex = createHash('sha256')
    .update(`${tenantId.toLowerCase()}/${app.clientId.toLowerCase()}`)
    .digest('hex');
  // Version-4 layout bits keep it a well-formed GUID for clients that validate it.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
