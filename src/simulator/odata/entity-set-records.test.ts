import { describe, expectTypeOf, it } from 'vitest';
import type {
  alertProperties,
  cveProperties,
  machineProperties,
  machineVulnerabilityProperties,
  recommendationProperties,
  softwareProperties,
} from '../../mde/odata/entity-sets.js';
import type {
  AlertRecord,
  CveRecord,
  MachineRecord,
  MachineVulnerabilityRecord,
  RecommendationRecord,
  SoftwareRecord,
} from '../tenant/types.js';

// Checked by the type checker: an entity set that forgets a property of the records the simulator
// serves, or names one they lack, fails `npm run typecheck`.
describe('entity sets and the simulated records', () => {
  it('name exactly the properties of the records served', () => {
    expectTypeOf<keyof typeof machineProperties>().toEqualTypeOf<keyof MachineRecord>();
    expectTypeOf<keyof typeof alertProperties>().toEqualTypeOf<keyof AlertRecord>();
    expectTypeOf<keyof typeof cveProperties>().toEqualTypeOf<keyof CveRecord>();
    expectTypeOf<keyof typeof machineVulnerabilityProperties>().toEqualTypeOf<
      keyof MachineVulnerabilityRecord
    >();
    expectTypeOf<keyof typeof softwareProperties>().toEqualTypeOf<keyof SoftwareRecord>();
    expectTypeOf<keyof typeof recommendationProperties>().toEqualTypeOf<keyof RecommendationRecord>();
  });
});
