import { describe, expect, it } from 'vitest';
import { MachineSchema } from '../mde/schemas/machine.js';
import {
  type CandidateHost,
  DEFAULT_IDENTIFICATION_RULES,
  type IdentificationRule,
  machineIdentifiers,
  pickHost,
} from './identification-rules.js';
import { normalizeMachine } from './normalize-machine.js';

function machine(fields: Record<string, unknown>) {
  return normalizeMachine(MachineSchema.parse({ id: 'a'.repeat(40), ...fields }));
}

const rules = (...names: IdentificationRule['rule'][]): IdentificationRule[] =>
  names.map((rule) => ({ rule, enabled: true }));

describe('machineIdentifiers', () => {
  it('takes the machine id, AAD id, FQDN, hostname and IP+MAC pairs, lower-cased', () => {
    const ids = machineIdentifiers(
      machine({
        id: 'ABCDEF'.padEnd(40, '0'),
        computerDnsName: 'Web01.Contoso.COM',
        aadDeviceId: '80FE8FF8-2624-418E-9591-41F0491218F9',
        ipAddresses: [
          { ipAddress: '10.0.0.5', macAddress: '00-11-22-AA-BB-CC', type: 'Ethernet' },
          { ipAddress: 'fe80::1', macAddress: '001122AABBCC', type: 'Ethernet' },
          { ipAddress: '127.0.0.1', macAddress: null, type: 'SoftwareLoopback' },
          { ipAddress: '169.254.3.4', macAddress: '001122AABBCD', type: 'Ethernet' },
        ],
      }),
    );
    expect(ids).toEqual([
      { kind: 'machineId', value: 'abcdef'.padEnd(40, '0') },
      { kind: 'aadDeviceId', value: '80fe8ff8-2624-418e-9591-41f0491218f9' },
      { kind: 'fqdn', value: 'web01.contoso.com' },
      { kind: 'hostname', value: 'web01' },
      { kind: 'ipMac', value: '10.0.0.5|00:11:22:aa:bb:cc' },
    ]);
  });

  it.each([
    ['the all-zero AAD device id', { aadDeviceId: '00000000-0000-0000-0000-000000000000' }, 'aadDeviceId'],
    ['an IP address as DNS name (hostname and fqdn)', { computerDnsName: '10.1.2.3' }, 'hostname'],
    ['an IP without a MAC', { ipAddresses: [{ ipAddress: '10.0.0.5', macAddress: null }] }, 'ipMac'],
    ['a last IP address alone', { lastIpAddress: '10.0.0.5' }, 'ipMac'],
  ])('%s identifies nothing', (_name, fields, kind) => {
    const ids = machineIdentifiers(machine(fields));
    expect(ids.filter((i) => i.kind === kind)).toEqual([]);
    expect(ids.filter((i) => i.kind === 'fqdn')).toEqual([]);
  });
});

describe('pickHost', () => {
  const table: Record<string, CandidateHost[]> = {
    'aadDeviceId aad-1': [{ hostId: 1, fqdn: 'pc1.a.com' }],
    'fqdn pc1.a.com': [{ hostId: 2, fqdn: 'pc1.a.com' }],
    'hostname pc1': [{ hostId: 2, fqdn: 'pc1.a.com' }],
    'hostname shared': [
      { hostId: 3, fqdn: null },
      { hostId: 4, fqdn: null },
    ],
    'hostname web01': [{ hostId: 5, fqdn: 'web01.b.com' }],
    'ipMac 10.0.0.1|00:11:22:33:44:55': [{ hostId: 6, fqdn: null }],
    'machineId m-1': [
      { hostId: 7, fqdn: null },
      { hostId: 8, fqdn: null },
    ],
  };
  const candidates = (kind: string, value: string) => table[`${kind} ${value}`];
  const id = (kind: IdentificationRule['rule'], value: string) => ({ kind, value });

  it.each([
    {
      name: 'the first rule with exactly one host decides (aad before fqdn)',
      rules: rules('aadDeviceId', 'fqdn'),
      ids: [id('aadDeviceId', 'aad-1'), id('fqdn', 'pc1.a.com')],
      want: { hostId: 1, rule: 'aadDeviceId' },
    },
    {
      name: 'rule order matters (fqdn before aad)',
      rules: rules('fqdn', 'aadDeviceId'),
      ids: [id('aadDeviceId', 'aad-1'), id('fqdn', 'pc1.a.com')],
      want: { hostId: 2, rule: 'fqdn' },
    },
    {
      name: 'a disabled rule is skipped',
      rules: [{ rule: 'aadDeviceId', enabled: false }, ...rules('fqdn')] as IdentificationRule[],
      ids: [id('aadDeviceId', 'aad-1'), id('fqdn', 'pc1.a.com')],
      want: { hostId: 2, rule: 'fqdn' },
    },
    {
      name: 'an ambiguous rule is passed over, the next one decides',
      rules: rules('machineId', 'ipMac'),
      ids: [id('machineId', 'm-1'), id('ipMac', '10.0.0.1|00:11:22:33:44:55')],
      want: { hostId: 6, rule: 'ipMac' },
    },
    {
      name: 'a hostname two hosts share merges nothing',
      rules: rules('hostname'),
      ids: [id('hostname', 'shared')],
      want: undefined,
    },
    {
      name: 'a hostname match between two different FQDNs merges nothing',
      rules: rules('hostname'),
      ids: [id('fqdn', 'web01.a.com'), id('hostname', 'web01')],
      want: undefined,
    },
    {
      name: 'a hostname match where only one side has an FQDN merges',
      rules: rules('hostname'),
      ids: [id('hostname', 'web01')],
      want: { hostId: 5, rule: 'hostname' },
    },
    {
      name: 'no candidate at all: a new host',
      rules: DEFAULT_IDENTIFICATION_RULES,
      ids: [id('fqdn', 'unknown.a.com')],
      want: undefined,
    },
  ])('$name', ({ rules: r, ids, want }) => {
    expect(pickHost(r, ids, candidates, new Set())).toEqual(want);
  });

  it('hosts the connector already reports are never candidates', () => {
    const ids = [id('aadDeviceId', 'aad-1'), id('fqdn', 'pc1.a.com')];
    expect(pickHost(rules('aadDeviceId', 'fqdn'), ids, candidates, new Set([1]))).toEqual({
      hostId: 2,
      rule: 'fqdn',
    });
    expect(pickHost(rules('aadDeviceId', 'fqdn'), ids, candidates, new Set([1, 2]))).toBeUndefined();
  });
});
