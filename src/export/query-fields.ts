import type { QuerySpec } from '../normalize/query/compile-query.js';
import type { ExportKind } from './export-kinds.js';

const get = (name: string) => (r: Record<string, unknown>) => r[name];
/** Every record in this store came from Microsoft Defender (seed 000: `source:Defender`). */
const source = () => 'Defender';
/** Exploit maturity words (exploit-maturity.ts) for `maturity>=verified`. */
const MATURITY_WORDS = { none: 0, public: 1, verified: 2, inkit: 3, 'in-kit': 3, kit: 3 };
const SEVERITY_WORDS = { critical: 5, high: 4, medium: 3, low: 2, informational: 1, info: 1 };

/** The query fields of each exportable kind (issue 4, item 7). */
export const QUERY_SPECS: Partial<Record<ExportKind, QuerySpec>> = {
  findings: {
    fields: {
      source: { type: 'text', read: source },
      severity: { type: 'number', read: get('severity'), aliases: SEVERITY_WORDS },
      score: { type: 'number', read: get('score') },
      cvss: { type: 'number', read: get('cvssScore') },
      cve: { type: 'text', read: get('cveId') },
      status: { type: 'text', read: get('status') },
      software: { type: 'text', read: get('softwareName') },
      vendor: { type: 'text', read: get('softwareVendor') },
      version: { type: 'text', read: get('softwareVersion') },
      host: { type: 'text', read: get('hostName') },
      machine: { type: 'text', read: get('machineId') },
      exploit: { type: 'text', read: get('exploitabilityLevel') },
      group: { type: 'text', read: get('rbacGroupName') },
      firstFound: { type: 'date', read: get('firstFound') },
      lastFound: { type: 'date', read: get('lastFound') },
      lastFixed: { type: 'date', read: get('lastFixed') },
      reopened: { type: 'number', read: get('reopenedCount') },
    },
    textFields: ['name', 'cveId', 'softwareName', 'softwareVendor', 'hostName'],
  },
  hosts: {
    fields: {
      source: { type: 'text', read: source },
      name: { type: 'text', read: get('name') },
      os: { type: 'text', read: get('osPlatform') },
      osVersion: { type: 'text', read: get('osVersion') },
      tag: { type: 'list', read: get('tags') },
      status: { type: 'text', read: get('status') },
      ip: { type: 'list', read: get('ipAddresses') },
      mac: { type: 'list', read: get('macAddresses') },
      risk: { type: 'text', read: get('riskLevel') },
      riskScore: { type: 'number', read: get('riskScore') },
      vulnerabilities: { type: 'number', read: get('openVulnerabilityCount') },
      topCve: { type: 'text', read: get('topVulnerabilityCveId') },
      alertSeverity: { type: 'text', read: get('topAlertSeverity') },
      health: { type: 'text', read: get('defenderHealthStatus') },
      group: { type: 'text', read: get('defenderRbacGroupName') },
      value: { type: 'text', read: get('defenderDeviceValue') },
      exposure: { type: 'text', read: get('defenderExposureLevel') },
      onboarding: { type: 'text', read: get('defenderOnboardingStatus') },
      lastSeen: { type: 'date', read: get('lastSeen') },
      firstSeen: { type: 'date', read: get('firstSeen') },
      profile: { type: 'list', read: get('profiles') },
    },
    textFields: ['name', 'fqdn', 'hostname', 'defenderMachineId'],
  },
  // issue 4, item 1: definitions in depth.
  vulnerabilities: {
    fields: {
      source: { type: 'text', read: source },
      cve: { type: 'text', read: get('id') },
      severity: { type: 'text', read: get('severity') },
      cvss: { type: 'number', read: get('cvssV3BaseScore') },
      temporal: { type: 'number', read: get('cvssV3TemporalScore') },
      reported: { type: 'number', read: get('cvssV3') },
      epss: { type: 'number', read: get('epss') },
      maturity: { type: 'number', read: get('exploitMaturityRank'), aliases: MATURITY_WORDS },
      patch: { type: 'text', read: (r) => (r.patchAvailable === null ? null : String(r.patchAvailable)) },
      agrees: {
        type: 'text',
        read: (r) => (r.cvssV3ScoreAgrees === null ? null : String(r.cvssV3ScoreAgrees)),
      },
      av: { type: 'text', read: (r) => (r.cvssV3Components as Record<string, string> | null)?.AV ?? null },
      software: {
        type: 'list',
        read: (r) => ((r.affectedSoftware as Array<{ name: string }> | null) ?? []).map((s) => s.name),
      },
      published: { type: 'date', read: get('publishedOn') },
      updated: { type: 'date', read: get('updatedOn') },
    },
    textFields: ['id', 'name', 'description'],
  },
};
