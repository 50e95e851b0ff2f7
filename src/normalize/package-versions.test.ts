import { describe, expect, it } from 'vitest';
import { packageVersions } from './package-versions.js';

describe('package versions', () => {
  it('lists each version once with its devices, in version order with numeric parts compared as numbers', () => {
    const devices = new Map([
      ['10.0.2', 3],
      ['9.12.1', 7],
      ['9.2.0', 1],
    ]);
    expect(packageVersions(devices)).toEqual([
      { version: '9.2.0', devices: 1 },
      { version: '9.12.1', devices: 7 },
      { version: '10.0.2', devices: 3 },
    ]);
  });

  it('a package nothing reports has no versions', () => {
    expect(packageVersions(new Map())).toEqual([]);
  });
});
