import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import { MachineSchema } from '../src/mde/schemas/machine.js';
import { VulnerabilityRowSchema } from '../src/mde/schemas/vulnerability-row.js';
import { DEFAULT_FIELD_MAPPING, type FieldMapping } from '../src/normalize/field-mapping.js';
import { normalizeFinding } from '../src/normalize/normalize-finding.js';
import { normalizeMachine } from '../src/normalize/normalize-machine.js';

/**
 * DEFAULT_FIELD_MAPPING is what `mdec mapping` prints (docs/data-model.md#transform-map-and-custom-fields);
 * this suite holds it to what the normalizers do, row by row, on Microsoft's example records, so the data
 * cannot drift from the code.
 */

function fixture(file: string): unknown {
  const normalized = new URL(`./fixtures/mde-samples/normalized/${file}`, import.meta.url);
  const url = existsSync(normalized)
    ? normalized
    : new URL(`./fixtures/mde-samples/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}
const values = (file: string) => (fixture(file) as { value: Record<string, unknown>[] }).value;

const MACHINE_SAMPLES: Record<string, unknown>[] = [
  ...values('machines-list.json'),
  fixture('machine-by-id.json') as Record<string, unknown>,
  fixture('alert-related-machine.json') as Record<string, unknown>,
  ...values('machines-filter-healthstatus-ne-active.json'),
];
const FINDING_SAMPLES = (fixture('vulns-changes.json') as { value: Record<string, unknown>[] }).value.filter(
  (r) => r.cveId,
);

/**
 * Model names (docs/data-model.md) that the normalizer output spells differently: the store writes a
 * finding's `first_found` from MDE's first-seen time (finding-writer newRow).
 */
const OUTPUT_NAME: Record<string, string> = { 'finding.firstFound': 'finding.firstSeen' };

/** Normalizer output properties that no mapping row targets, and why. */
const NOT_MAPPED = new Set([
  'contentHash', // bookkeeping: whether a stored row must be rewritten
  'extra', // fields MDE sent that we do not model, kept as they came
  'customAttributes', // filled by the connector's custom field mappings, not the default map
  'findingKey', // bookkeeping: the finding's identity
  'hostSource.computerDnsName', // kept as sent; host.name, fqdn and hostname are mapped from it
  'hostSource.machineTags', // kept as sent; host.tags is mapped from it
  'finding.lastSeen', // MDE's lastSeenTimestamp; the model's lastFound is the snapshot time
]);

type Entity = 'host' | 'finding';
const ENTITIES: Entity[] = ['host', 'finding'];
const SIMPLE_SOURCE = /^[A-Za-z]+(\.[A-Za-z]+)*$/;

function parse(entity: Entity, raw: unknown) {
  const parsed = parseRecord(entity === 'host' ? MachineSchema : VulnerabilityRowSchema, raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value as Record<string, unknown>;
}

/** The normalizer output as `{ host, hostSource }` or `{ finding }`, the prefixes the targets use. */
function output(entity: Entity, raw: unknown): Record<string, unknown> {
  const parsed = parse(entity, raw);
  if (entity === 'host') {
    const m = normalizeMachine(parsed as never);
    return { host: m.host, hostSource: m.source };
  }
  const f = normalizeFinding(parsed as never);
  if (!f) throw new Error('sample row has no CVE');
  return { finding: f };
}

/** The value at a dotted path, or a marker when some step is not a property. */
const MISSING = Symbol('missing');
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object' || !(step in current)) return MISSING;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

const targetsOf = (row: FieldMapping) => row.targetField.split(', ').map((t) => OUTPUT_NAME[t] ?? t);

/**
 * A value of the row's data type that no sample holds, to see exactly where it lands; a number where
 * MDE sends one for a text target (osBuild), a text where MDE sends one for a list target (a DNS name
 * split into the private and public lists).
 */
function probe(row: FieldMapping, entity: Entity): unknown {
  const sent = at(parse(entity, samplesOf(entity)[0]), row.sourceField);
  if (typeof sent === 'number') return 977;
  if (typeof sent === 'string' && row.dataType === 'list') return 'Probe-Value.Example';
  switch (row.dataType) {
    case 'number':
      return 977;
    case 'boolean':
      return true;
    case 'datetime':
      return '2024-05-06 07:08:09';
    case 'list':
      return ['Probe-A', 'Probe-B'];
    case 'object':
      return { vmId: 'Probe-VM', cloudProvider: 'Probe' };
    default:
      return row.fill === 'lowerCase' ? 'ABCDEF0123456789' : 'Probe-Value.Example';
  }
}

function setPath(record: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...record, [head!]: value };
  const inner = (record[head!] ?? {}) as Record<string, unknown>;
  return { ...record, [head!]: setPath(inner, rest.join('.'), value) };
}

/** What a copy row promises: the parsed source value, in the row's data type. */
function expected(row: FieldMapping, parsedValue: unknown): unknown {
  if (row.fill === 'lowerCase') return String(parsedValue).toLowerCase();
  if (row.dataType === 'string' && parsedValue !== null) return String(parsedValue);
  return parsedValue;
}

const samplesOf = (entity: Entity) => (entity === 'host' ? MACHINE_SAMPLES : FINDING_SAMPLES);

/** The first sample, with the row's source field set to its probe when it names one field. */
function probed(row: FieldMapping, entity: Entity): Record<string, unknown> {
  const base = samplesOf(entity)[0]!;
  return SIMPLE_SOURCE.test(row.sourceField) ? setPath(base, row.sourceField, probe(row, entity)) : base;
}
const rowsOf = (entity: Entity) => DEFAULT_FIELD_MAPPING.filter((r) => r.entity === entity);
const label = (r: FieldMapping) => `${r.entity}: ${r.sourceField} → ${r.targetField} (${r.fill ?? 'copy'})`;

describe('the default field mapping matches the normalizers', () => {
  it('has samples to check against', () => {
    expect(MACHINE_SAMPLES.length).toBeGreaterThanOrEqual(4);
    expect(FINDING_SAMPLES.length).toBeGreaterThanOrEqual(2);
  });

  for (const entity of ENTITIES) {
    const rows = rowsOf(entity);

    it.each(rows.filter((r) => r.fill !== 'sync').map((r) => [label(r), r] as const))(
      'target of %s exists in the normalizer output',
      (_label, row) => {
        const out = output(entity, probed(row, entity));
        for (const target of targetsOf(row)) expect(at(out, target), target).not.toBe(MISSING);
      },
    );

    it.each(rows.filter((r) => r.fill === 'sync').map((r) => [label(r), r] as const))(
      '%s is set by the sync, so the normalizers leave it alone',
      (_label, row) => {
        const out = output(entity, samplesOf(entity)[0]);
        for (const target of targetsOf(row)) expect(at(out, target), target).toBe(MISSING);
      },
    );

    const copies = rows.filter((r) => (r.fill ?? 'copy') === 'copy' || r.fill === 'lowerCase');
    it.each(copies.map((r) => [label(r), r] as const))('%s', (_label, row) => {
      expect(row.sourceField, 'a copied row names one source field').toMatch(SIMPLE_SOURCE);
      const [target] = targetsOf(row);
      // Microsoft's examples, wherever they hold the field ...
      for (const sample of samplesOf(entity)) {
        const source = at(parse(entity, sample), row.sourceField);
        if (source === MISSING || source === null || source === undefined) continue;
        expect(at(output(entity, sample), target!)).toEqual(expected(row, source));
      }
      // ... and a probe value no sample holds, so the value is known to come from this source field.
      const record = probed(row, entity);
      const source = at(parse(entity, record), row.sourceField);
      expect(source).not.toBe(MISSING);
      expect(at(output(entity, record), target!)).toEqual(expected(row, source));
    });

    const derived = rows.filter((r) => r.fill === 'derived' && SIMPLE_SOURCE.test(r.sourceField));
    it.each(derived.map((r) => [label(r), r] as const))('%s follows its source', (_label, row) => {
      const base = samplesOf(entity)[0]!;
      const changed = probed(row, entity);
      for (const target of targetsOf(row)) {
        expect(at(output(entity, changed), target), target).not.toEqual(at(output(entity, base), target));
      }
    });

    it(`every ${entity} field the normalizers produce is a mapping target or named as unmapped`, () => {
      const out = output(entity, samplesOf(entity)[0]);
      const targets = new Set(rows.flatMap(targetsOf));
      // A host source field of the same name as a host field is the same value, seen per connector.
      const covered = (prefix: string, key: string) =>
        targets.has(`${prefix}.${key}`) ||
        (prefix === 'hostSource' && targets.has(`host.${key}`)) ||
        NOT_MAPPED.has(key) ||
        NOT_MAPPED.has(`${prefix}.${key}`);
      const missing = Object.entries(out).flatMap(([prefix, value]) =>
        Object.keys(value as object)
          .filter((key) => !covered(prefix, key))
          .map((key) => `${prefix}.${key}`),
      );
      expect(missing).toEqual([]);
    });
  }
});
