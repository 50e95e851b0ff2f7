import { describe, expect, it } from 'vitest';
import { connectorPortalLinks, devicePortalLinks, portalHostOf } from './portal-links.js';

const MACHINE = '1E5BC9D7E413DDD7902C2932E418702B84D0CC07';
const TENANT = '0F8A2B4C-1D3E-4F50-8A6B-7C8D9E0F1A2B';

describe('Defender portal host per cloud (gov.md "Portal URLs")', () => {
  it.each([
    ['commercial', undefined, 'https://security.microsoft.com'],
    ['gcc', undefined, 'https://security.microsoft.com'],
    ['gcc-high', undefined, 'https://security.microsoft.us'],
    ['dod', undefined, 'https://security.apps.mil'],
    ['custom', 'https://eu.api.security.microsoft.com', 'https://security.microsoft.com'],
    ['custom', 'https://api-us.securitycenter.microsoft.com', 'https://security.microsoft.com'],
    ['custom', 'https://api.securitycenter.windows.com', 'https://security.microsoft.com'],
    ['custom', 'https://api-gcc.securitycenter.microsoft.us', 'https://security.microsoft.com'],
    ['custom', 'https://api-gov.securitycenter.microsoft.us', 'https://security.microsoft.us'],
    ['custom', 'http://127.0.0.1:8443', null],
    ['custom', 'https://mde-proxy.example.org', null],
    ['custom', 'not a url', null],
    ['custom', undefined, null],
    ['mars', undefined, null],
  ] as const)('%s %s → %s', (cloud, apiUrl, host) => {
    expect(portalHostOf(cloud, apiUrl)).toBe(host);
  });
});

describe('device page links', () => {
  it.each([
    ['commercial', 'https://security.microsoft.com'],
    ['gcc-high', 'https://security.microsoft.us'],
    ['dod', 'https://security.apps.mil'],
  ] as const)(
    '%s: overview, vulnerabilities, alerts and timeline of the machine, in its tenant',
    (cloud, host) => {
      const base = `${host}/machines/v2/${MACHINE.toLowerCase()}`;
      const tid = `?tid=${TENANT.toLowerCase()}`;
      expect(devicePortalLinks({ cloud, tenantId: TENANT, machineId: MACHINE })).toEqual({
        overview: `${base}/overview${tid}`,
        vulnerabilities: `${base}/vulnerabilities${tid}`,
        alerts: `${base}/alerts${tid}`,
        timeline: `${base}/timeline${tid}`,
      });
    },
  );

  it.each([
    ['no machine id', { cloud: 'commercial', machineId: null }],
    ['a blank machine id', { cloud: 'commercial', machineId: '  ' }],
    ['an unknown portal', { cloud: 'custom', apiUrl: 'http://127.0.0.1:9', machineId: MACHINE }],
  ] as const)('none for %s', (_name, input) => {
    expect(devicePortalLinks(input)).toBeNull();
  });

  it('leaves out a tenant id that is not a GUID', () => {
    expect(devicePortalLinks({ cloud: 'commercial', tenantId: 'contoso', machineId: 'abc' })?.overview).toBe(
      'https://security.microsoft.com/machines/v2/abc/overview',
    );
  });
});

describe("a connector's device links, worked out once per connector", () => {
  it.each([
    { cloud: 'gcc-high', tenantId: TENANT },
    { cloud: 'custom', apiUrl: 'https://api-gcc.securitycenter.microsoft.us', tenantId: 'contoso' },
    { cloud: 'custom', apiUrl: 'http://127.0.0.1:9', tenantId: TENANT },
  ])('gives each device the links devicePortalLinks gives it: %o', (connector) => {
    const linksOf = connectorPortalLinks(connector);
    for (const machineId of [MACHINE, 'abc', ' Dev 42 ', '', null, undefined]) {
      expect(linksOf(machineId)).toEqual(devicePortalLinks({ ...connector, machineId }));
    }
  });

  it('names each device its own page, however many it serves', () => {
    const linksOf = connectorPortalLinks({ cloud: 'gcc-high', tenantId: TENANT });
    const page = (machine: string) =>
      `https://security.microsoft.us/machines/v2/${machine}/overview?tid=${TENANT.toLowerCase()}`;
    for (const machineId of [MACHINE, 'abc', MACHINE, 'Dev 42']) {
      expect(linksOf(machineId)?.overview).toBe(page(encodeURIComponent(machineId.toLowerCase())));
    }
  });
});
