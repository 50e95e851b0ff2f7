/**
 * A CVE: the catalog `GET /api/vulnerabilities[/{cveId}]` and the vulnerability DTO returned by
 * `/api/machines/{id}/vulnerabilities`, `/api/recommendations/{id}/vulnerabilities` and
 * `/api/Software/{id}/vulnerabilities` (docs/mde-api.md#cve-catalog).
 */
import * as z from 'zod';
import { flag, identity, numeric, text, texts, timestamp } from './fields.js';

/** Documented CVE `severity` values (docs/mde-api.md#cve-catalog). */
export const CVE_SEVERITIES = ['Low', 'Medium', 'High', 'Critical'] as const;

/**
 * `cveSupportability` values; an older sample sends `supported` under `CveSupportability`
 * (docs/mde-api.md#field-casing).
 */
export const CVE_SUPPORTABILITIES = ['Supported', 'Not Supported', 'SupportedInPremium'] as const;

/** A CVE. Required: `id` (the CVE ID). Older samples lack cvssVector, epss, cveSupportability and tags. */
export const CveSchema = z.looseObject({
  id: identity(),
  name: text(),
  /** Newer catalog samples carry AI-generated summaries. */
  description: text(),
  severity: text(),
  cvssV3: numeric(),
  cvssVector: text(),
  exposedMachines: numeric(),
  publishedOn: timestamp(),
  updatedOn: timestamp(),
  firstDetected: timestamp(),
  publicExploit: flag(),
  exploitVerified: flag(),
  exploitInKit: flag(),
  exploitTypes: texts(),
  exploitUris: texts(),
  /**
   * "String collection" in the doc table, a plain string on the wire (docs/mde-api.md#field-casing): a list
   * is joined.
   */
  cveSupportability: z
    .union([z.string(), z.array(z.string())], { error: 'expected a string or a list of strings' })
    .transform((value) => (typeof value === 'string' ? value : value.join(', ')))
    .nullish(),
  /** Probability 0 to 1 (the doc table writes `EPSS`). */
  epss: numeric(),
  tags: texts(),
});

/** A parsed CVE. */
export type Cve = z.output<typeof CveSchema>;
/** A CVE as MDE sends it. */
export type CveInput = z.input<typeof CveSchema>;
