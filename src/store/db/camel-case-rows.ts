import { CamelCasePlugin } from 'kysely';
import { generatedFunction, ShapeCache } from '../../normalize/shape-cache.js';

type Row = Record<string, unknown>;
type RowMapper = (row: Row, nested: (value: unknown) => unknown) => Row;

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
  private readonly mappers = new ShapeCache<RowMapper>((columns) => this.compile(columns));
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
    const mapper = this.mappers.of(rows[0]!);
    if (!mapper) return super.transformResult(args);
    const mapped: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) mapped[i] = mapper(rows[i]!, this.nested);
    return { ...args.result, rows: mapped } as Awaited<ReturnType<CamelCasePlugin['transformResult']>>;
  }

  protected override mapRow(row: Row): Row {
    const mapper = this.mappers.of(row);
    return mapper ? mapper(row, this.nested) : super.mapRow(row);
  }

  /** The mapper of one row shape, or null (use the plugin's loop) where compiling does not apply. */
  private compile(columns: readonly string[]): RowMapper | null {
    const names = columns.map((c) => this.camelCase(c));
    // A repeated name (two columns that camel-case alike) or `__proto__` must go through the loop,
    // which assigns one key at a time; an object literal would behave differently for both.
    if (new Set(names).size !== names.length || names.includes('__proto__')) return null;
    const fields = columns.map((c, i) => `${JSON.stringify(names[i])}: nested(r[${JSON.stringify(c)}])`);
    return generatedFunction<RowMapper>(['r', 'nested'], `return { ${fields.join(', ')} };`);
  }
}

/** Kysely's test for an object whose keys the plugin renames: a plain object, not a Date or Buffer. */
function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
