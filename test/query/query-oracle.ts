import fc from 'fast-check';
import type { ExportKind } from '../../src/export/export-kinds.js';
import type { QueryField, QuerySpec } from '../../src/normalize/query/compile-query.js';

/**
 * Random well-formed queries, each with its meaning as a plain TypeScript predicate written here,
 * apart from the parser and compiler: a query and its predicate must pick the same records.
 * The field table (which record field a query field reads, and its type) is the one under test;
 * everything else (operators, words, dates, precedence, quoting) is restated here.
 */
export type Predicate = (r: Record<string, unknown>) => boolean;
export interface GeneratedQuery {
  text: string;
  matches: Predicate;
}

type Op = ':' | '=' | '!=' | '>' | '>=' | '<' | '<=';
const ALL_OPS: Op[] = [':', '=', '!=', '>', '>=', '<', '<='];
const EQUALITY_OPS: Op[] = [':', '=', '!='];

/** Severity ranks and exploit maturities, restated. */
const SEVERITY_RANK: Record<string, number> = {
  none: 0,
  informational: 1,
  info: 1,
  unspecified: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
const EXPLOIT_RANK: Record<string, number> = {
  none: 0,
  noexploit: 0,
  public: 1,
  exploitispublic: 1,
  verified: 2,
  exploitisverified: 2,
  'in-kit': 3,
  inkit: 3,
  exploitisinkit: 3,
};

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v).toLowerCase());

function rank(table: Record<string, number>, v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  const r = table[str(v)];
  return r === undefined ? null : r;
}

function onLine(v: number | null, op: Op, target: number): boolean {
  if (v === null) return op === '!=';
  if (op === ':' || op === '=') return v === target;
  if (op === '!=') return v !== target;
  if (op === '>') return v > target;
  if (op === '>=') return v >= target;
  if (op === '<') return v < target;
  return v <= target;
}

const quoted = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** A value as a query writes it: quoted when it holds spaces, quotes or parentheses, or starts like an operator. */
function renderValue(value: string): string {
  return value === '' || /[\s()"]/.test(value) || /^[:=!<>]/.test(value) ? quoted(value) : value;
}

const randomCase = (word: string) =>
  fc.constantFrom(word, word.toUpperCase(), word.toLowerCase(), word.charAt(0).toUpperCase() + word.slice(1));

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A date or time in one of the forms queries take, with the span it names computed here. */
function dateValue(instants: number[]) {
  const instant =
    instants.length > 0
      ? fc.oneof(
          fc.constantFrom(...instants),
          fc
            .integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 })
            .chain((d) => fc.constantFrom(...instants).map((t) => t + d)),
        )
      : fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) });
  return fc
    .record({
      instant,
      precision: fc.constantFrom('day', 'minute', 'second', 'ms'),
      offsetMinutes: fc.constantFrom(0, 60, -300, 330, 600),
      zone: fc.constantFrom('Z', 'offset', 'offset-compact', 'none'),
    })
    .map(({ instant: t, precision, offsetMinutes, zone }) => {
      const offset = precision === 'day' || zone === 'Z' || zone === 'none' ? 0 : offsetMinutes;
      const unit = { day: 86_400_000, minute: 60_000, second: 1000, ms: 1 }[precision];
      const localStart = Math.floor((t + offset * 60_000) / unit) * unit;
      const l = new Date(localStart);
      let text = `${l.getUTCFullYear()}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}`;
      if (precision !== 'day') {
        text += `T${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}`;
        if (precision !== 'minute') text += `:${pad(l.getUTCSeconds())}`;
        if (precision === 'ms') text += `.${pad(l.getUTCMilliseconds(), 3)}`;
        const sign = offset < 0 ? '-' : '+';
        const hhmm = [pad(Math.floor(Math.abs(offset) / 60)), pad(Math.abs(offset) % 60)];
        if (zone === 'Z') text += 'Z';
        else if (zone === 'offset') text += `${sign}${hhmm.join(':')}`;
        else if (zone === 'offset-compact') text += `${sign}${hhmm.join('')}`;
      }
      const start = localStart - offset * 60_000;
      return { text, start, end: start + unit };
    });
}

/** Every value a field reads across the records, flattened for lists. */
function valuesOf(field: QueryField, records: Array<Record<string, unknown>>): unknown[] {
  return records.flatMap((r) => {
    const v = field.read(r);
    return Array.isArray(v) ? v : [v];
  });
}

function leaf(
  name: string,
  field: QueryField,
  records: Array<Record<string, unknown>>,
): fc.Arbitrary<GeneratedQuery> {
  const seen = valuesOf(field, records).filter((v) => v !== null && v !== undefined && v !== '');
  const nameArb = randomCase(name);
  switch (field.type) {
    case 'text':
    case 'list': {
      const strings = seen.map(String);
      const value =
        strings.length > 0
          ? fc.oneof(
              fc.constantFrom(...strings),
              fc
                .constantFrom(...strings)
                .chain((s) => fc.integer({ min: 0, max: s.length }).map((n) => s.slice(0, n))),
              fc.constantFrom(...strings).map((s) => s.toUpperCase()),
              fc.string({ maxLength: 6 }),
            )
          : fc.string({ maxLength: 6 });
      return fc.tuple(nameArb, fc.constantFrom(...EQUALITY_OPS), value).map(([n, op, v]) => {
        const wanted = v.toLowerCase();
        const one = (x: unknown) => (op === ':' ? str(x).startsWith(wanted) : str(x) === wanted);
        const test = (r: Record<string, unknown>) => {
          const read = field.read(r);
          return field.type === 'list' ? Array.isArray(read) && read.some(one) : one(read);
        };
        return { text: `${n}${op}${renderValue(v)}`, matches: op === '!=' ? (r) => !test(r) : test };
      });
    }
    case 'number': {
      const numbers = seen.map(Number).filter(Number.isFinite);
      const value = fc.oneof(
        ...(numbers.length > 0 ? [fc.constantFrom(...numbers)] : []),
        fc.integer({ min: -5, max: 120 }),
        fc.double({ min: -10, max: 100, noNaN: true }).map((d) => Math.round(d * 1000) / 1000),
      );
      return fc.tuple(nameArb, fc.constantFrom(...ALL_OPS), value).map(([n, op, v]) => {
        const text = Number.isInteger(v) ? String(v) : v.toFixed(3);
        const target = Number(text);
        return {
          text: `${n}${op}${text}`,
          matches: (r) => {
            const x = field.read(r);
            return onLine(x === null || x === undefined || x === '' ? null : Number(x), op, target);
          },
        };
      });
    }
    case 'date': {
      const instants = seen.map((v) => Date.parse(String(v))).filter(Number.isFinite);
      return fc.tuple(nameArb, fc.constantFrom(...ALL_OPS), dateValue(instants)).map(([n, op, span]) => ({
        text: `${n}${op}${span.text}`,
        matches: (r) => {
          const x = field.read(r);
          const t = x === null || x === undefined || x === '' ? Number.NaN : Date.parse(String(x));
          if (!Number.isFinite(t)) return op === '!=';
          const inside = t >= span.start && t < span.end;
          if (op === ':' || op === '=') return inside;
          if (op === '!=') return !inside;
          if (op === '>') return t >= span.end;
          if (op === '>=') return t >= span.start;
          if (op === '<') return t < span.start;
          return t < span.end;
        },
      }));
    }
    case 'severity':
    case 'exploit': {
      const table = field.type === 'severity' ? SEVERITY_RANK : EXPLOIT_RANK;
      const top = field.type === 'severity' ? 5 : 3;
      const value = fc.oneof(
        fc.constantFrom(...Object.keys(table)).chain(randomCase),
        fc.integer({ min: 0, max: top }).map(String),
      );
      return fc.tuple(nameArb, fc.constantFrom(...ALL_OPS), value).map(([n, op, v]) => {
        const target = rank(table, v)!;
        return { text: `${n}${op}${v}`, matches: (r) => onLine(rank(table, field.read(r)), op, target) };
      });
    }
    case 'boolean': {
      const value = fc.constantFrom('true', 'false', 'yes', 'no').chain(randomCase);
      return fc.tuple(nameArb, fc.constantFrom(...EQUALITY_OPS), value).map(([n, op, v]) => {
        const wanted = ['true', 'yes'].includes(v.toLowerCase());
        const test = (r: Record<string, unknown>) => {
          const x = field.read(r);
          return x !== null && x !== undefined && (x === true || x === 1) === wanted;
        };
        return { text: `${n}${op}${v}`, matches: op === '!=' ? (r) => !test(r) : test };
      });
    }
  }
}

/** A bare or quoted word searched in the kind's text fields. */
function textTerm(spec: QuerySpec, records: Array<Record<string, unknown>>): fc.Arbitrary<GeneratedQuery> {
  const texts = records
    .flatMap((r) => spec.textFields.map((f) => r[f]))
    .filter((v) => typeof v === 'string') as string[];
  const word =
    texts.length > 0
      ? fc.oneof(
          fc
            .constantFrom(...texts)
            .chain((s) =>
              fc
                .tuple(fc.nat(s.length), fc.integer({ min: 1, max: 8 }))
                .map(([at, n]) => s.slice(at, at + n)),
            ),
          fc.string({ minLength: 1, maxLength: 5 }),
        )
      : fc.string({ minLength: 1, maxLength: 5 });
  return word.map((w) => {
    // Unquoted only when plainly a word that no keyword resembles; quoted text is searched as written.
    const plain = /^[A-Za-z0-9][A-Za-z0-9._]*$/.test(w) && !/^[a-z]{1,4}$/i.test(w);
    const needle = w.toLowerCase();
    return {
      text: plain ? w : quoted(w),
      matches: (r: Record<string, unknown>) => spec.textFields.some((f) => str(r[f]).includes(needle)),
    };
  });
}

type Tree = { p: number; q: GeneratedQuery };
/** Precedence: OR 1, AND 2, NOT 3, a term 4; a part weaker than its place is put in parentheses. */
const inPlace = (t: Tree, need: number) => (t.p < need ? `(${t.q.text})` : t.q.text);

/** Random queries over every field of a kind, with AND, OR, NOT in random letter case and forms. */
export function generatedQuery(kind: ExportKind, spec: QuerySpec, records: Array<Record<string, unknown>>) {
  const leaves = fc.oneof(
    ...Object.entries(spec.fields).map(([name, field]) => leaf(name, field, records)),
    textTerm(spec, records),
  );
  const tree = fc.letrec<{ node: Tree }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 3, depthIdentifier: kind },
      leaves.map((q) => ({ p: 4, q })),
      fc
        .tuple(
          fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
          fc.array(fc.constantFrom(' ', ' AND ', ' and ', ' And '), { minLength: 2, maxLength: 2 }),
        )
        .map(([items, joins]) => ({
          p: 2,
          q: {
            text: items
              .map((t, i) => (i === 0 ? '' : joins[(i - 1) % joins.length]) + inPlace(t, 2))
              .join(''),
            matches: (r: Record<string, unknown>) => items.every((t) => t.q.matches(r)),
          },
        })),
      fc
        .tuple(fc.array(tie('node'), { minLength: 2, maxLength: 3 }), fc.constantFrom(' OR ', ' or ', ' Or '))
        .map(([items, join]) => ({
          p: 1,
          q: {
            text: items.map((t) => inPlace(t, 1)).join(join),
            matches: (r: Record<string, unknown>) => items.some((t) => t.q.matches(r)),
          },
        })),
      fc.tuple(tie('node'), fc.constantFrom('NOT ', 'not ', 'Not ', '-')).map(([t, not]) => ({
        p: 3,
        q: { text: `${not}${inPlace(t, 3)}`, matches: (r: Record<string, unknown>) => !t.q.matches(r) },
      })),
      tie('node').map((t) => ({ p: 4, q: { text: `(${t.q.text})`, matches: t.q.matches } })),
    ),
  }));
  return tree.node.map((t) => t.q);
}
