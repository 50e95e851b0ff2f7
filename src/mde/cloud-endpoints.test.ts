import { describe, expect, it } from 'vitest';
import {
  CLOUD_PRESETS,
  isLoopbackHost,
  REGIONS,
  regionOfApiUrl,
  resolveEndpoints,
} from './cloud-endpoints.js';
import { ConfigError } from './mde-errors.js';

describe('resolveEndpoints', () => {
  it.each([
    [
      'commercial',
      'https://login.microsoftonline.com',
      'https://api.security.microsoft.com',
      'https://api.securitycenter.microsoft.com/.default',
    ],
    [
      'gcc',
      'https://login.microsoftonline.com',
      'https://api-gcc.securitycenter.microsoft.us',
      'https://api.securitycenter.microsoft.com/.default',
    ],
    [
      'gcc-high',
      'https://login.microsoftonline.us',
      'https://api-gov.securitycenter.microsoft.us',
      'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    ],
    [
      'dod',
      'https://login.microsoftonline.us',
      'https://api-gov.securitycenter.microsoft.us',
      'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
    ],
  ])('%s presets', (cloud, loginUrl, apiUrl, scope) => {
    expect(resolveEndpoints({ cloud })).toEqual({ cloud, loginUrl, apiUrl, scope });
  });

  it('lets a preset take a regional API host', () => {
    const e = resolveEndpoints({ cloud: 'commercial', apiUrl: 'https://eu.api.security.microsoft.com/' });
    expect(e.apiUrl).toBe('https://eu.api.security.microsoft.com');
    expect(e.loginUrl).toBe(CLOUD_PRESETS.commercial.loginUrl);
  });

  it('takes custom URLs and scope, and plain http to loopback hosts', () => {
    for (const host of ['127.0.0.1:8443', 'localhost:3000', '[::1]:9000', '127.8.9.10']) {
      const e = resolveEndpoints({
        cloud: 'custom',
        apiUrl: `http://${host}`,
        loginUrl: `http://${host}/`,
        scope: 'https://api.securitycenter.microsoft.com/.default',
      });
      expect(e.apiUrl).toBe(`http://${host}`);
      expect(e.loginUrl).toBe(`http://${host}`);
    }
  });

  it.each([
    [{ cloud: 'azure-china' }, 'cloud', /cloud must be one of commercial, gcc, gcc-high, dod, custom/],
    [{ cloud: 'custom', loginUrl: 'https://l', scope: 'x/.default' }, 'apiUrl', /apiUrl is required/],
    [{ cloud: 'custom', apiUrl: 'https://a', scope: 'x/.default' }, 'loginUrl', /loginUrl is required/],
    [{ cloud: 'custom', apiUrl: 'https://a', loginUrl: 'https://l' }, 'scope', /scope is required/],
    [
      { cloud: 'commercial', apiUrl: 'http://api.example.com' },
      'apiUrl',
      /plain http:\/\/ is allowed only for loopback.*"api\.example\.com"/,
    ],
    [{ cloud: 'commercial', loginUrl: 'http://10.0.0.5:8080' }, 'loginUrl', /loginUrl must use https/],
    [{ cloud: 'commercial', apiUrl: 'http://127.0.0.1.evil.com' }, 'apiUrl', /loopback/],
    [{ cloud: 'commercial', apiUrl: 'http://localhost.evil.com' }, 'apiUrl', /loopback/],
    [{ cloud: 'commercial', apiUrl: 'ftp://api.example.com' }, 'apiUrl', /must use https/],
    [{ cloud: 'commercial', apiUrl: 'not a url' }, 'apiUrl', /absolute https:\/\/ URL/],
    [{ cloud: 'commercial', apiUrl: 'https://user:pw@api.example.com' }, 'apiUrl', /credentials/],
    [{ cloud: 'commercial', apiUrl: 'https://api.example.com/?x=1' }, 'apiUrl', /query/],
    [{ cloud: 'commercial', scope: 'https://api.securitycenter.microsoft.com' }, 'scope', /\/\.default/],
    [{ cloud: 'commercial', scope: 'a/.default b/.default' }, 'scope', /one resource/],
  ])('refuses %j (field %s)', (input, field, message) => {
    let caught: unknown;
    try {
      resolveEndpoints(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(field);
    expect((caught as ConfigError).code).toBe('config');
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['api.localhost', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['example.com', false],
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('regional API hosts', () => {
  it.each(REGIONS)(
    '%s selects {region}.api.security.microsoft.com and keeps the commercial sign-in',
    (region) => {
      const e = resolveEndpoints({ cloud: 'commercial', region });
      expect(e.apiUrl).toBe(`https://${region}.api.security.microsoft.com`);
      expect(e.loginUrl).toBe(CLOUD_PRESETS.commercial.loginUrl);
      expect(e.scope).toBe(CLOUD_PRESETS.commercial.scope);
      expect(regionOfApiUrl(e.apiUrl)).toBe(region);
    },
  );

  it.each([
    [{ cloud: 'gcc', region: 'us' }, /commercial cloud only/],
    [{ cloud: 'custom', region: 'eu', loginUrl: 'https://l.example.com', scope: 'x/.default' }, /commercial/],
    [{ cloud: 'commercial', region: 'moon' }, /region must be one of us, eu, uk, au, swa, ina, aea/],
    [{ cloud: 'commercial', region: 'eu', apiUrl: 'https://uk.api.security.microsoft.com' }, /not both/],
  ])('refuses %j', (input, message) => {
    expect(() => resolveEndpoints(input)).toThrow(ConfigError);
    expect(() => resolveEndpoints(input)).toThrow(message);
  });

  it('accepts the same regional host given both ways, and reads no region from other hosts', () => {
    const url = 'https://eu.api.security.microsoft.com/';
    expect(resolveEndpoints({ cloud: 'commercial', region: 'eu', apiUrl: url }).apiUrl).toBe(
      url.slice(0, -1),
    );
    expect(regionOfApiUrl('https://api.security.microsoft.com')).toBeUndefined();
    expect(regionOfApiUrl('https://xx.api.security.microsoft.com')).toBeUndefined();
    expect(regionOfApiUrl('http://127.0.0.1:8080')).toBeUndefined();
  });
});
