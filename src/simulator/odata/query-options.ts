import { type EntitySetSpec, resolveProperty } from '../../mde/odata/entity-sets.js';
import { bindFilter } from '../../mde/odata/filter-binder.js';
import { parseFilter } from '../../mde/odata/filter-parser.js';
import { invalidQuery, ODataError } from '../../mde/odata/odata-error.js';
import { compileFilter, type OrderByClause, type Predicate } from './evaluate.js';

/** The system query options of one entity-set request, validated against its spec. */
export interface QueryOptions {
  filter?: Predicate;
  top?: number;
  skip: number;
  orderBy?: OrderByClause[];
  /** `$expand=evidence`, alerts only (docs/mde-api.md#alerts). */
  expandEvidence: boolean;
  /** `$count=true`. The `/$count` path segment (docs/mde-api.md#machine-filters) is the route's business. */
  count: boolean;
  /** Canonical property names from `$select`; absent means every property. */
  select?: string[];
}

export const SUPPORTED_QUERY_OPTIONS = [
  '$filter',
  '$top',
  '$skip',
  '$orderby',
  '$expand',
  '$select',
  '$count',
] as const;

// Standard OData options MDE's entity sets do not take (`$skiptoken` is for the assessment exports
// only, docs/mde-api.md#paging). Named in ASP.NET OData's wording; any other `$` name is "not supported".
const NOT_ALLOWED: Readonly<Record<string, string>> = {
  $search: 'Search',
  $format: 'Format',
  $skiptoken: 'SkipToken',
  $deltatoken: 'DeltaToken',
  $apply: 'Apply',
  $compute: 'Compute',
  $levels: 'Levels',
};

// ASP.NET OData reads $top and $skip as Int32.
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Parses and validates `$filter`, `$top`, `$skip`, `$orderby`, `$expand`, `$select` and `$count`
 * (docs/mde-api.md#paging, #machine-filters). Option names are case-insensitive; parameters without `$`
 * (pageSize, sinceTime, ...) are left to the route. Throws ODataError (400) for anything MDE would refuse.
 */
export function parseQueryOptions(searchParams: URLSearchParams, spec: EntitySetSpec): QueryOptions {
  const raw = collectOptions(searchParams);
  const options: QueryOptions = { skip: 0, expandEvidence: false, count: false };
  for (const [name, { key, value }] of raw) {
    switch (name) {
      case '$filter':
        options.filter = compileFilter(bindFilter(parseFilter(value), spec));
        break;
      case '$top':
        options.top = parseTop(value, spec.maxTop);
        break;
      case '$skip':
        options.skip = parseCount('$skip', value);
        break;
      case '$orderby':
        options.orderBy = parseOrderBy(value, spec);
        break;
      case '$expand':
        options.expandEvidence = parseExpand(value, spec).includes('evidence');
        break;
      case '$select':
        options.select = parseSelect(value, spec);
        break;
      case '$count':
        options.count = parseBoolean(value);
        break;
      default: {
        const allowed = NOT_ALLOWED[name];
        if (allowed) {
          throw invalidQuery(
            `Query option '${allowed}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`,
          );
        }
        throw new ODataError(`The query parameter '${key}' is not supported.`);
      }
    }
  }
  return options;
}

/** `$`-options by lower-cased name; `$TOP` and `$top` together count as a repeat. */
function collectOptions(searchParams: URLSearchParams): Map<string, { key: string; value: string }> {
  const raw = new Map<string, { key: string; value: string }>();
  for (const [key, value] of searchParams) {
    if (!key.startsWith('$')) continue;
    const name = key.toLowerCase();
    if (raw.has(name)) {
      throw new ODataError(
        `Query option '${key}' was specified more than once, but it must be specified at most once.`,
      );
    }
    raw.set(name, { key, value });
  }
  return raw;
}

/** docs/mde-api.md#rate-limits: each set has a `$top` maximum (10,000; 8,000 for vulnerabilities). */
function parseTop(text: string, max: number): number {
  const top = parseCount('$top', text);
  // OData would allow 0; we refuse it since an empty page would stall a client's paging loop.
  if (top === 0) {
    throw new ODataError(
      `Invalid value '${text}' for $top query option found. The $top query option requires a positive integer value.`,
    );
  }
  if (top > max) {
    throw invalidQuery(
      `The limit of '${max}' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
    );
  }
  return top;
}

function parseCount(option: '$top' | '$skip', text: string): number {
  const trimmed = text.trim();
  const n = /^\d{1,10}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(n <= MAX_INT32)) {
    throw new ODataError(
      `Invalid value '${text}' for ${option} query option found. The ${option} query option requires a non-negative integer value.`,
    );
  }
  return n;
}

const ORDER_ITEM = /^([A-Za-z_]\w*(?:\/[A-Za-z_]\w*)*)(?:\s+(asc|desc))?$/i;

/**
 * `$orderby=prop [asc|desc], ...`. Undocumented for MDE (docs/mde-api.md#machine-filters) but used by
 * connectors.
 */
function parseOrderBy(text: string, spec: EntitySetSpec): OrderByClause[] {
  const clauses: OrderByClause[] = [];
  for (const item of splitList(text, '$orderby')) {
    const m = ORDER_ITEM.exec(item);
    if (!m) throw invalidQuery(`'${item}' is not a valid $orderby item in '${text}'.`);
    const path = m[1]!;
    const property = resolveTopLevel(path, spec);
    if (path.includes('/') || !spec.orderable.has(property)) {
      throw invalidQuery(`The property '${path}' cannot be used in the $orderby query option.`);
    }
    if (clauses.some((c) => c.property === property)) {
      throw invalidQuery(`Duplicate property named '${property}' is not supported in '$orderby'.`);
    }
    clauses.push({ property, direction: m[2]?.toLowerCase() === 'desc' ? 'desc' : 'asc' });
  }
  return clauses;
}

/** docs/mde-api.md#alerts: `$expand=evidence` exists on alerts only. */
function parseExpand(text: string, spec: EntitySetSpec): string[] {
  const expanded: string[] = [];
  for (const item of splitList(text, '$expand')) {
    if (item === '*') {
      expanded.push(...spec.expandable);
      continue;
    }
    if (!/^[A-Za-z_]\w*$/.test(item)) {
      throw invalidQuery(`'${item}' is not supported in $expand; only plain navigation property names are.`);
    }
    const property = resolveTopLevel(item, spec);
    if (!spec.expandable.has(property)) {
      throw invalidQuery(
        `Property '${property}' on type '${spec.typeName}' is not a navigation property or complex property. Only navigation properties can be expanded.`,
      );
    }
    expanded.push(property);
  }
  return expanded;
}

function parseSelect(text: string, spec: EntitySetSpec): string[] | undefined {
  const selected = new Set<string>();
  for (const item of splitList(text, '$select')) {
    if (item === '*') return undefined;
    if (!/^[A-Za-z_]\w*$/.test(item)) {
      throw invalidQuery(`'${item}' is not supported in $select; only top-level property names are.`);
    }
    selected.add(resolveTopLevel(item, spec));
  }
  return [...selected];
}

function parseBoolean(text: string): boolean {
  const lower = text.trim().toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw new ODataError(`'${text}' is not a valid count option.`);
  return lower === 'true';
}

/** The canonical name of the first segment of `path`, or the "could not find" error. */
function resolveTopLevel(path: string, spec: EntitySetSpec): string {
  const head = path.split('/')[0]!;
  const property = resolveProperty(spec, head);
  if (property === undefined) {
    throw invalidQuery(`Could not find a property named '${head}' on type '${spec.typeName}'.`);
  }
  return property;
}

function splitList(text: string, option: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw invalidQuery(`'${text}' is not a valid ${option} value.`);
  return items;
}
