import { CamelCasePlugin } from 'kysely';

type Row = Record<string, unknown>;
type RowMapper = (row: Row, nested: (value: unknown) => unknown) => Row;

/** Above this many columns the plugin's own loop is used: generated code this long gains nothing. */
const MAX_COMPILED_COLUMNS = 400;
/** Shapes kept; the map is emptied past this bound, so unusual queries cannot grow it without end. */
const MAX_SHAPES = 512;

/**
 * Kysely's CamelCasePlugin, with each result row renamed by code compiled once per row shape (its
 * columns in order): `(r, nested) => ({ "riskScore": nested(r["risk_score"]), ... })`, one object
 * literal of a fixed shape. The plugin's own loop adds one renamed key at a time to an empty object,
 * which leaves a wide row (a host with its Defender fields) in V8's slow dictionary form and cost
 * about a tenth of the API's CPU per hosts page (docs/benchmarks.md#rest-api). Names, nested objects
 * and arrays are treated as the plugin treats them. Names reach the source only as JSON string
 * literals.
 */
export class CompiledCamelCasePlugin extends CamelCasePlugin {
  private readonly mappers = new Map<string, RowMapper | null>();
  private readonly nested = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? this.mapRow(v as Row) : v));
    return isPlainObject(value) ? this.mapRow(value as Row) : value;
  };

  /**
   * Every row of one result has the same columns in the same order (one statement's, on both
   * drivers), so the mapper is found once per result from its first row.
   */
  override async transformResult(
    args: Parameters<CamelCasePlugin['transformResult']>[0],
  ): ReturnType<CamelCasePlugin['transformResult']> {
    const rows = args.result.rows as Row[] | undefined;
    if (!Array.isArray(rows) || rows.length === 0) return super.transformResult(args);
    const mapper = this.mapperOf(rows[0]!);
    if (!mapper) return super.transformResult(args);
    const mapped: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) mapped[i] = mapper(rows[i]!, this.nested);
    return { ...args.result, rows: mapped } as Awaited<ReturnType<CamelCasePlugin['transformResult']>>;
  }

  protected override mapRow(row: Row): Row {
    const mapper = this.mapperOf(row);
    return mapper ? mapper(row, this.nested) : super.mapRow(row);
  }

  private mapperOf(row: Row): RowMapper | null {
    const columns = Object.keys(row);
    const shape = columns.join('\u0000');
    let mapper = this.mappers.get(shape);
    if (mapper === undefined) {
      if (this.mappers.size >= MAX_SHAPES) this.mappers.clear();
      mapper = this.compile(columns);
      this.mappers.set(shape, mapper);
    }
    return mapper;
  }

  /** The mapper of one row shape, or null (use the plugin's loop) where compiling does not apply. */
  private compile(columns: readonly string[]): RowMapper | null {
    const names = columns.map((c) => this.camelCase(c));
    // A repeated name (two columns that camel-case alike) or `__proto__` must go through the loop,
    // which assigns one key at a time; an object literal would behave differently for both.
    if (
      columns.length > MAX_COMPILED_COLUMNS ||
      new Set(names).size !== names.length ||
      names.includes('__proto__')
    )
      return null;
    const fields = columns.map((c, i) => `${JSON.stringify(names[i])}: nested(r[${JSON.stringify(c)}])`);
    try {
      return new Function('r', 'nested', `return { ${fields.join(', ')} };`) as RowMapper;
    } catch {
      // Code generation is disallowed (--disallow-code-generation-from-strings).
      return null;
    }
  }
}

/** Kysely's test for an object whose keys the plugin renames: a plain object, not a Date or Buffer. */
function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
