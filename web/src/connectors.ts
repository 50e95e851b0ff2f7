import type { QueryClient } from '@tanstack/react-query';
import { api } from './api';

/** A connector as the API describes it (never its secret). */
export interface ConnectorView {
  name: string;
  kind: string;
  network: string;
  tenantId: string | null;
  clientId: string | null;
  credential: string;
  cloud: string;
  apiUrl: string | null;
  loginUrl: string | null;
  scope: string | null;
  active: boolean;
  schedule: string | null;
  state: string;
  lastRunId: number | null;
  options: ConnectorOptions;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectorOptions {
  dataTypes: string[];
  staleDays: number;
  tags: string[];
  filter?: string;
  initialLookbackDays?: number;
  includeUnscanned: boolean;
  maxRetries: number;
  fullSyncEveryDays: number;
  softwareId?: string;
  softwareName?: string;
  softwareVendor?: string;
  vulnerabilityRbacGroupId?: number;
  vulnerabilitySeverity?: string[];
  identificationRules: Array<{ rule: string; enabled: boolean }>;
  profiles: boolean;
  [other: string]: unknown;
}

export const DATA_TYPES = [
  ['machines', 'Machines (always collected)'],
  ['vulnerabilities', 'Vulnerabilities (findings)'],
  ['vulnerability-definitions', 'Vulnerability definitions (CVE catalog)'],
  ['software', 'Software'],
  ['installed-software', 'Installed software'],
  ['recommendations', 'Security recommendations'],
  ['alerts', 'Alerts'],
] as const;

export const CLOUDS = ['commercial', 'gcc', 'gcc-high', 'dod', 'custom'] as const;

export const IDENTIFICATION_RULE_LABELS: Record<string, string> = {
  machineId: 'Defender machine id',
  aadDeviceId: 'Entra (AAD) device id',
  fqdn: 'Fully qualified domain name',
  hostname: 'Host name',
  ipMac: 'IP address and MAC address',
};

export const connectorsKey = ['connectors'] as const;

export function listConnectors(): Promise<{ items: ConnectorView[] }> {
  return api('/api/connectors');
}

/** After a change: lists and details of connectors are read again. */
export function refreshConnectors(queries: QueryClient): Promise<void> {
  return queries.invalidateQueries({ queryKey: connectorsKey });
}

export interface CredentialCheck {
  check: string;
  ok: boolean;
  class?: string;
  detail: string;
  fix?: string;
}

interface OpenApiDocument {
  paths?: Record<
    string,
    Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: object } }> } }>
  >;
}

/**
 * The body fields `POST /api/connectors` accepts, read from the server's OpenAPI document, so the
 * wizard offers an option (such as allowing machine actions) exactly when the server knows it.
 */
export async function connectorBodyFields(): Promise<Set<string>> {
  const doc = await api<OpenApiDocument>('/api/openapi.json');
  const schema = doc.paths?.['/api/connectors']?.post?.requestBody?.content?.['application/json']?.schema;
  return new Set(Object.keys(schema?.properties ?? {}));
}
