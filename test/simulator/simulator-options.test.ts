import { describe, expect, it } from 'vitest';
import { OptionError, simulatorOptionsFromFlags } from '../../src/simulator/simulator-options.js';

const noFiles = (path: string): string => {
  throw new Error(`no file ${path}`);
};

describe('simulator flags', () => {
  it('--export-delay holds export files back for whole seconds; none by default', () => {
    expect(simulatorOptionsFromFlags({}, noFiles).exportDelaySeconds).toBe(0);
    expect(simulatorOptionsFromFlags({ exportDelay: '20' }, noFiles).exportDelaySeconds).toBe(20);
    expect(() => simulatorOptionsFromFlags({ exportDelay: '-1' }, noFiles)).toThrow(OptionError);
    expect(() => simulatorOptionsFromFlags({ exportDelay: '1.5' }, noFiles)).toThrow(/--export-delay/);
  });
});
