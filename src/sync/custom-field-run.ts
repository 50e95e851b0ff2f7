import {
  type CustomFieldExtractor,
  type CustomFieldMapping,
  compileCustomFields,
} from '../normalize/custom-fields.js';
import type { StreamCounters } from '../store/runs/run-repository.js';
import { MACHINES_STREAM } from './streams/machines-stream.js';
import { VULNERABILITIES_STREAM } from './streams/vulnerabilities-full-stream.js';
import type { SyncContext } from './sync-context.js';

/** A run's extractors: one per entity that has custom field mappings, none otherwise. */
export function compileTransformMap(mappings: readonly CustomFieldMapping[]): SyncContext['customFields'] {
  const host = compileCustomFields(mappings, 'host');
  const finding = compileCustomFields(mappings, 'finding');
  return { ...(host ? { host } : {}), ...(finding ? { finding } : {}) };
}

/**
 * Puts the values custom fields could not convert on the stream that read them: counted per mapping,
 * with an example, never a rejected record and never a failed run (the record is stored without
 * that attribute).
 */
export function reportCustomFieldProblems(
  counters: Record<string, StreamCounters>,
  custom: SyncContext['customFields'],
): void {
  const report = (stream: string, extractor: CustomFieldExtractor | undefined) => {
    const c = counters[stream];
    if (!c || !extractor || extractor.failures === 0) return;
    c.rejectedFields = { ...(c.rejectedFields ?? {}), ...extractor.problems() };
  };
  report(MACHINES_STREAM, custom?.host);
  report(VULNERABILITIES_STREAM, custom?.finding);
}
