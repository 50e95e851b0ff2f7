/**
 * Custom field mappings (docs/data-model.md#transform-map-and-custom-fields: source field, data type, target
 * field): a connector's own additions to the out-of-the-box transform map, whose values land in a host's or a
 * finding's custom attributes. Validation here gives the CLI its messages; compilation turns the rows
 * into one extractor per run, applied to every parsed MDE record (3 million findings on a full sync,
 * docs/benchmarks.md#targets), so the per-record work is a few property reads and no parsing.
 */
import { toIsoUtc } from '../mde/parse/timestamps.js';

/** Data types a custom field converts its source value to. */
export const CUSTOM_FIELD_TYPES = ['string', 'number', 'boolean', 'datetime', 'list'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** Entities custom attributes exist on: the host (machine records) and the finding (vulnerability rows). */
export const CUSTOM_FIELD_ENTITIES = ['host', 'finding'] as const;
export type CustomFieldEntity = (typeof CUSTOM_FIELD_ENTITIES)[number];

/** One custom field mapping, validated. */
export interface CustomFieldMapping {
  entity: CustomFieldEntity;
  /** A path in the parsed MDE record, e.g. `onboardingStatus`, `vmMetadata.vmId`, `ipAddresses[].ipAddress`. */
  sourceField: string;
  dataType: CustomFieldType;
  /** Always `customAttributes.NAME`. */
  targetField: string;
}

/** A host's or finding's custom attributes: attribute name → converted value. */
export type CustomAttributes = Readonly<Record<string, unknown>>;

/** The attributes of a record no custom mapping applies to; shared, so the common case allocates nothing. */
export const NO_CUSTOM_ATTRIBUTES: CustomAttributes = Object.freeze({});

/**
 * Bad custom field input; `field` names the flag at fault (docs/data-model.md#connector: messages name the
 * field).
 */
export class CustomFieldError extends Error {
  readonly code = 'custom-field' as const;
  constructor(
    readonly field: 'entity' | 'source' | 'type' | 'target',
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const SEGMENT = /^([A-Za-z][A-Za-z0-9_]*)(\[(\d*)\])?$/;
const MAX_SOURCE_LENGTH = 200;
const MAX_DEPTH = 8;
const MAX_NAME_LENGTH = 64;
export const TARGET_PREFIX = 'customAttributes.';

interface Step {
  key: string;
  lower: string;
  /** `[]`: every element of the array; `[n]`: element n. */
  each: boolean;
  index: number | undefined;
}

/** Parses a source path, or throws {@link CustomFieldError} naming what is allowed. */
function parsePath(source: string): Step[] {
  const allowed =
    'allowed: field names joined by dots, each optionally followed by [] (every element) or [N] (element N), e.g. vmMetadata.vmId or ipAddresses[].ipAddress';
  if (source.length === 0) throw new CustomFieldError('source', `--source is empty; ${allowed}`);
  if (source.length > MAX_SOURCE_LENGTH)
    throw new CustomFieldError('source', `--source is longer than ${MAX_SOURCE_LENGTH} characters`);
  const parts = source.split('.');
  if (parts.length > MAX_DEPTH)
    throw new CustomFieldError('source', `--source "${source}" is nested deeper than ${MAX_DEPTH} levels`);
  return parts.map((part) => {
    const m = SEGMENT.exec(part);
    if (!m)
      throw new CustomFieldError('source', `--source "${source}": "${part}" is not a field name; ${allowed}`);
    return {
      key: m[1]!,
      lower: m[1]!.toLowerCase(),
      each: m[2] === '[]',
      index: m[3] ? Number(m[3]) : undefined,
    };
  });
}

/**
 * Validates raw CLI input into a {@link CustomFieldMapping}. The target may be written
 * `customAttributes.NAME` or with its entity, `host.customAttributes.NAME`.
 */
export function validateCustomFieldMapping(input: {
  entity: string | undefined;
  source: string | undefined;
  type: string | undefined;
  target: string | undefined;
}): CustomFieldMapping {
  const entity = input.entity as CustomFieldEntity;
  if (!CUSTOM_FIELD_ENTITIES.includes(entity)) {
    throw new CustomFieldError(
      'entity',
      `--entity must be ${CUSTOM_FIELD_ENTITIES.join(' or ')} (got ${input.entity === undefined ? 'nothing' : `"${input.entity}"`})`,
    );
  }
  const sourceField = (input.source ?? '').trim();
  const steps = parsePath(sourceField);
  const dataType = input.type as CustomFieldType;
  if (!CUSTOM_FIELD_TYPES.includes(dataType)) {
    throw new CustomFieldError(
      'type',
      `--type must be one of ${CUSTOM_FIELD_TYPES.join(', ')} (got ${input.type === undefined ? 'nothing' : `"${input.type}"`})`,
    );
  }
  if (steps.some((s) => s.each) && dataType !== 'list') {
    throw new CustomFieldError(
      'type',
      `--type must be list for --source "${sourceField}": [] reads every element of an array, which gives a list`,
    );
  }
  return { entity, sourceField, dataType, targetField: normalizeTarget(entity, input.target) };
}

/** `customAttributes.NAME` from what the user typed, or a {@link CustomFieldError}. */
export function normalizeTarget(entity: CustomFieldEntity, target: string | undefined): string {
  let name = (target ?? '').trim();
  if (name.startsWith(`${entity}.`)) name = name.slice(entity.length + 1);
  if (!name.startsWith(TARGET_PREFIX)) {
    throw new CustomFieldError(
      'target',
      `--target must be customAttributes.NAME (custom fields land in the ${entity}'s custom attributes; got ${target === undefined ? 'nothing' : `"${target}"`})`,
    );
  }
  name = name.slice(TARGET_PREFIX.length);
  if (!NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new CustomFieldError(
      'target',
      `--target: "${name}" is not an attribute name; allowed: a letter, then letters, digits or _, at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  return `${TARGET_PREFIX}${name}`;
}

/** Marks a value that could not be converted; the reason is built only then. */
const FAIL = Symbol('fail');
type Converted = unknown | typeof FAIL;

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['true', 'yes', '1']);
const FALSE_TEXT = new Set(['false', 'no', '0']);

/**
 * Converts one present value (not null, not undefined, not blank text) to the mapping's data type.
 * Pure; returns {@link FAIL} when the value cannot be read as that type.
 */
function convert(type: CustomFieldType, value: unknown): Converted {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return FAIL;
    case 'number':
      if (typeof value === 'number') return Number.isFinite(value) ? value : FAIL;
      if (typeof value === 'string' && NUMERIC_TEXT.test(value.trim())) return Number(value.trim());
      return FAIL;
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === 0) return value === 1;
      if (typeof value !== 'string') return FAIL;
      const t = value.trim().toLowerCase();
      return TRUE_TEXT.has(t) ? true : FALSE_TEXT.has(t) ? false : FAIL;
    }
    case 'datetime':
      // Parsed records already carry ISO UTC for the fields MDE documents; unknown fields arrive raw.
      return typeof value === 'string' ? (toIsoUtc(value.trim()) ?? FAIL) : FAIL;
    case 'list':
      if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined);
      return [value];
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Own property of `obj` named like `step`, case-insensitively (MDE's casing varies,
 * docs/mde-api.md#vulnerability-rows).
 */
function field(obj: object, step: Step): unknown {
  const record = obj as Record<string, unknown>;
  if (Object.hasOwn(record, step.key)) return record[step.key];
  for (const k in record) {
    if (k.length === step.key.length && k.toLowerCase() === step.lower && Object.hasOwn(record, k))
      return record[k];
  }
  return undefined;
}

/** The value at `steps[from..]` of `value`; arrays under `[]` steps give flattened lists. */
function read(value: unknown, steps: readonly Step[], from: number): unknown {
  let current = value;
  for (let i = from; i < steps.length; i++) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    const step = steps[i]!;
    current = field(current, step);
    if (step.index !== undefined) {
      current = Array.isArray(current) ? current[step.index] : undefined;
    } else if (step.each) {
      if (current === null || current === undefined) return undefined;
      // A single value where MDE usually sends an array reads as a list of one.
      const items = Array.isArray(current) ? current : [current];
      if (i === steps.length - 1) return items;
      const out: unknown[] = [];
      for (const element of items) {
        const v = read(element, steps, i + 1);
        if (Array.isArray(v)) out.push(...v);
        else if (v !== null && v !== undefined) out.push(v);
      }
      return out;
    }
  }
  return current;
}

interface CompiledRule {
  name: string;
  mapping: CustomFieldMapping;
  steps: Step[];
}

/** The extractor of one entity's custom fields for one run; counts values it could not convert. */
export interface CustomFieldExtractor {
  readonly entity: CustomFieldEntity;
  /** The mappings it applies, as text: a change means stored rows must be read again to refill them. */
  readonly key: string;
  /** The custom attributes of one parsed record; {@link NO_CUSTOM_ATTRIBUTES} when none has a value. */
  extract(record: object): CustomAttributes;
  /** Values that failed conversion so far (the record is kept, the attribute left out). */
  readonly failures: number;
  /** One line per mapping that failed, with its count and an example value. */
  problems(): Record<string, number>;
}

/**
 * Builds the extractor for `entity` from a connector's custom field mappings, once per run.
 * Returns undefined when the connector has none for the entity: the normalizers then skip the work
 * entirely (the zero-cost path of a full sync).
 */
export function compileCustomFields(
  mappings: readonly CustomFieldMapping[],
  entity: CustomFieldEntity,
): CustomFieldExtractor | undefined {
  const rules: CompiledRule[] = mappings
    .filter((m) => m.entity === entity)
    .map((mapping) => ({
      name: mapping.targetField.slice(TARGET_PREFIX.length),
      mapping,
      steps: parsePath(mapping.sourceField),
    }));
  if (rules.length === 0) return undefined;
  const failed = new Map<CompiledRule, { count: number; example: string }>();
  let failures = 0;
  return {
    entity,
    key: JSON.stringify(rules.map((r) => [r.mapping.sourceField, r.mapping.dataType, r.mapping.targetField])),
    get failures() {
      return failures;
    },
    extract(record) {
      let out: Record<string, unknown> | undefined;
      for (const rule of rules) {
        const raw = read(record, rule.steps, 0);
        if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) continue;
        const value = convert(rule.mapping.dataType, raw);
        if (value === FAIL) {
          failures++;
          const seen = failed.get(rule);
          if (seen) seen.count++;
          else failed.set(rule, { count: 1, example: describe(raw) });
          continue;
        }
        out ??= {};
        out[rule.name] = value;
      }
      return out ?? NO_CUSTOM_ATTRIBUTES;
    },
    problems() {
      const lines: Record<string, number> = {};
      for (const [rule, { count, example }] of failed) {
        const { sourceField, dataType, targetField } = rule.mapping;
        lines[`${targetField}: ${sourceField} is not a ${dataType} (e.g. ${example})`] = count;
      }
      return lines;
    },
  };
}

/** Whether a record got any custom attribute. */
export function hasCustomAttributes(attributes: CustomAttributes | undefined): boolean {
  if (!attributes || attributes === NO_CUSTOM_ATTRIBUTES) return false;
  for (const _ in attributes) return true;
  return false;
}

/** The JSON text stored in the `custom_attributes` columns. */
export function customAttributesText(attributes: CustomAttributes | undefined): string {
  return hasCustomAttributes(attributes) ? JSON.stringify(attributes) : '{}';
}
