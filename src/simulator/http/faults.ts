/**
 * Fault injection. Faults are rules: a kind, an optional path fragment to match,
 * and either a count (the next N matching requests) or a probability (seeded, so runs repeat).
 * Rules come from `--faults SPEC` at start and from `POST /_sim/faults` in tests.
 */
export const FAULT_KINDS = [
  '429',
  '5xx',
  'reset',
  'slow',
  'cut-body',
  'expired-link',
  'truncated-gzip',
  'empty-file',
  'loop-nextlink',
  'malformed-nextlink',
  'missing-nextlink',
  'malformed-records',
  'revoke-tokens',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds that only an export-file download can suffer. */
export const BLOB_ONLY_FAULTS: ReadonlySet<FaultKind> = new Set([
  'expired-link',
  'truncated-gzip',
  'empty-file',
]);

/** Kinds that decide the whole answer before any route runs. */
export const IMMEDIATE_FAULTS: ReadonlySet<FaultKind> = new Set(['429', '5xx', 'reset', 'revoke-tokens']);

export interface FaultRule {
  kind: FaultKind;
  /** Case-insensitive fragment of the request path; absent matches every API and blob request. */
  path?: string;
  /** How many matching requests get the fault; absent means unlimited (use with probability). */
  count?: number;
  /** Chance per matching request, 0..1; absent means always (within count). */
  probability?: number;
  /** Kind-specific: status for 5xx, Retry-After seconds for 429, total delay ms for slow. */
  param?: number;
}

export class FaultSpecError extends Error {}

/** Parses `kind[:param][@path][*count][~probability]`, comma-separated, e.g. `5xx:503@/api/machines*3,429~0.05`. */
export function parseFaultSpec(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([a-z0-9-]+)(?::(\d+))?(?:@([^*~]+))?(?:\*(\d+))?(?:~(0(?:\.\d+)?|1(?:\.0+)?))?$/i.exec(part);
    if (!m) {
      throw new FaultSpecError(
        `bad fault "${part}": expected kind[:param][@path][*count][~probability], e.g. 5xx:503@/api/machines*3`,
      );
    }
    const kind = m[1]!.toLowerCase();
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new FaultSpecError(`unknown fault kind "${kind}"; allowed: ${FAULT_KINDS.join(', ')}`);
    }
    rules.push(
      validateFaultRule({
        kind: kind as FaultKind,
        ...(m[2] !== undefined ? { param: Number(m[2]) } : {}),
        ...(m[3] !== undefined ? { path: m[3] } : {}),
        ...(m[4] !== undefined ? { count: Number(m[4]) } : {}),
        ...(m[5] !== undefined ? { probability: Number(m[5]) } : {}),
      }),
    );
  }
  return rules;
}

/** Checks a rule that arrived as JSON from the admin endpoint. */
export function validateFaultRule(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null) throw new FaultSpecError('a fault rule must be an object');
  const r = input as Record<string, unknown>;
  if (typeof r.kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(r.kind)) {
    throw new FaultSpecError(`fault "kind" must be one of: ${FAULT_KINDS.join(', ')}`);
  }
  const rule: FaultRule = { kind: r.kind as FaultKind };
  if (r.path !== undefined) {
    if (typeof r.path !== 'string' || !r.path)
      throw new FaultSpecError('fault "path" must be a non-empty string');
    rule.path = r.path;
  }
  if (r.count !== undefined) {
    if (!Number.isInteger(r.count) || (r.count as number) < 1)
      throw new FaultSpecError('fault "count" must be a positive integer');
    rule.count = r.count as number;
  }
  if (r.probability !== undefined) {
    const p = r.probability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new FaultSpecError('fault "probability" must be 0..1');
    rule.probability = p;
  }
  if (r.param !== undefined) {
    if (typeof r.param !== 'number' || !Number.isFinite(r.param) || r.param < 0)
      throw new FaultSpecError('fault "param" must be a non-negative number');
    rule.param = r.param;
  }
  return rule;
}

/** The faults in force, consumed as requests arrive. */
export class FaultInjector {
  private rules: FaultRule[] = [];
  private state: number;

  constructor(seed: number, initial: FaultRule[] = []) {
    this.state = seed >>> 0 || 1;
    this.rules = initial.map((r) => ({ ...r }));
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * Returns every fault that fires for this request, consuming counts. `allowed` limits which kinds
   * can apply at this stage (e.g. blob downloads take file faults, JSON pages take nextLink faults).
   */
  draw(path: string, allowed: (kind: FaultKind) => boolean, max = Number.POSITIVE_INFINITY): FaultRule[] {
    const lower = path.toLowerCase();
    const fired: FaultRule[] = [];
    for (const rule of this.rules) {
      if (fired.length >= max) break;
      if (!allowed(rule.kind)) continue;
      if (rule.path && !lower.includes(rule.path.toLowerCase())) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      if (rule.count !== undefined) rule.count--;
      fired.push({ ...rule });
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.count > 0);
    return fired;
  }

  /** mulberry32: a tiny seeded generator, so a fault spec with probabilities repeats run to run. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
