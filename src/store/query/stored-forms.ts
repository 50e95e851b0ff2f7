import { FINDING_STATUSES } from '../../normalize/connector-options.js';
import { RISK_LEVEL_ORDER } from '../../normalize/host-risk.js';
import { HOST_STATUSES } from '../../normalize/host-status.js';

/**
 * What the store guarantees about a column's values, so that the query compiler
 * (query-to-sql.ts) can compare the column as it is, which the database can estimate from its
 * statistics and match to its indexes, rather than an expression over it, which it can do neither:
 * - `number`: a column of a numeric type that holds numbers (or null) only, never text. A scale
 *   field (severity, exploit) ranks a number as itself, so it compares the bare column.
 * - `words`: a text column that holds one of these words exactly as written (or null), never another
 *   spelling, and that records carry as stored. A comparison then selects the words the evaluator
 *   accepts: `IN (...)`.
 * A column not named here may hold anything (Defender's own values in any case, user input): its
 * comparisons keep the expressions that read any form.
 */
export type StoredForm = { kind: 'number' } | { kind: 'words'; words: readonly string[] };

const NUMBER: StoredForm = { kind: 'number' };
const words = (list: readonly string[]): StoredForm => ({ kind: 'words', words: list });

/**
 * The columns whose form the store keeps, by table and column (camelCase, as Kysely names them).
 * Each word list is the type the schema gives the column (src/store/db/schema.ts), so a write of any
 * other word does not compile; a numeric column's SQL type keeps text out of it.
 */
const STORED_FORMS: Readonly<Record<string, Readonly<Record<string, StoredForm>>>> = {
  hosts: {
    status: words(HOST_STATUSES),
    riskLevel: words(RISK_LEVEL_ORDER),
    topVulnerabilitySeverity: NUMBER,
  },
  findings: {
    status: words(FINDING_STATUSES),
    severity: NUMBER,
  },
  vulnerabilityDefinitions: {
    exploitMaturityRank: NUMBER,
  },
};

/** The form `table`'s `column` is stored in, when the store keeps one. */
export function storedForm(table: string, column: string): StoredForm | undefined {
  return STORED_FORMS[table]?.[column];
}
