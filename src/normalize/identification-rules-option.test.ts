import { describe, expect, it } from 'vitest';
import { OptionsError, parseConnectorOptions } from './connector-options.js';
import { DEFAULT_IDENTIFICATION_RULES } from './identification-rules.js';
import { parseIdentificationRulesFlag } from './identification-rules-option.js';

describe('identificationRules option', () => {
  it('defaults to machineId, aadDeviceId, fqdn, ipMac on and hostname off; profiles on', () => {
    const o = parseConnectorOptions({});
    expect(o.identificationRules).toEqual(DEFAULT_IDENTIFICATION_RULES);
    expect(o.identificationRules.filter((r) => r.enabled).map((r) => r.rule)).toEqual([
      'machineId',
      'aadDeviceId',
      'fqdn',
      'ipMac',
    ]);
    expect(o.profiles).toBe(true);
  });

  it('keeps the given order and appends the rules left out, off', () => {
    const o = parseConnectorOptions({ identificationRules: [{ rule: 'fqdn', enabled: true }] });
    expect(o.identificationRules.map((r) => `${r.rule}:${r.enabled}`)).toEqual([
      'fqdn:true',
      'machineId:false',
      'aadDeviceId:false',
      'hostname:false',
      'ipMac:false',
    ]);
    // Stored options parse to themselves.
    expect(parseConnectorOptions(JSON.parse(JSON.stringify(o))).identificationRules).toEqual(
      o.identificationRules,
    );
  });

  it.each([
    [[{ rule: 'fqdn', enabled: false }], /identificationRules: at least one rule must be enabled/],
    [[], /identificationRules: at least one rule must be enabled/],
    [
      [
        { rule: 'fqdn', enabled: true },
        { rule: 'fqdn', enabled: false },
      ],
      /identificationRules: rule "fqdn" is listed twice/,
    ],
    [[{ rule: 'serialNumber', enabled: true }], /identificationRules\.0\.rule/],
    [[{ rule: 'fqdn', enabled: 'yes' }], /identificationRules\.0\.enabled/],
  ])('rejects %j', (rules, message) => {
    expect(() => parseConnectorOptions({ identificationRules: rules })).toThrow(OptionsError);
    expect(() => parseConnectorOptions({ identificationRules: rules })).toThrow(message);
  });

  it('reads the --identification-rules flag', () => {
    expect(parseIdentificationRulesFlag('fqdn, MachineId:off ,ipmac:on')).toEqual([
      { rule: 'fqdn', enabled: true },
      { rule: 'machineId', enabled: false },
      { rule: 'ipMac', enabled: true },
    ]);
    expect(() => parseIdentificationRulesFlag('fqdn,serial')).toThrow(
      /unknown rule "serial"; allowed: machineId/,
    );
    expect(() => parseIdentificationRulesFlag('fqdn:maybe')).toThrow(/unknown rule/);
  });
});
