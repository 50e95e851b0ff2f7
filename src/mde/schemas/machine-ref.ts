/**
 * A MachineRef: the items of `/api/vulnerabilities/{cveId}/machineReferences`,
 * `/api/Software/{id}/machineReferences` and `/api/recommendations/{id}/machineReferences`
 * (docs/mde-api.md#cve-catalog, #software, #recommendations).
 */
import * as z from 'zod';
import { identity, text } from './fields.js';

/** A reference to a machine. Required: `id` (the machine id). */
export const MachineRefSchema = z.looseObject({
  id: identity(),
  computerDnsName: text(),
  osPlatform: text(),
  rbacGroupName: text(),
});

/** A parsed machine reference. */
export type MachineRef = z.output<typeof MachineRefSchema>;
/** A machine reference as MDE sends it. */
export type MachineRefInput = z.input<typeof MachineRefSchema>;
