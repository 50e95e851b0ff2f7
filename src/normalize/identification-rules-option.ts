import * as z from 'zod';
import {
  DEFAULT_IDENTIFICATION_RULES,
  IDENTIFICATION_RULES,
  type IdentificationRule,
} from './identification-rules.js';

/**
 * The `identificationRules` connector option: an ordered list of rules, each on or off,
 * at least one on. Rules left out are appended, off, so the stored list always shows all five.
 */
export const IdentificationRulesSchema = z
  .array(z.strictObject({ rule: z.enum(IDENTIFICATION_RULES), enabled: z.boolean() }))
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    for (const r of rules) {
      if (seen.has(r.rule)) ctx.addIssue({ code: 'custom', message: `rule "${r.rule}" is listed twice` });
      seen.add(r.rule);
    }
    if (!rules.some((r) => r.enabled)) {
      ctx.addIssue({
        code: 'custom',
        message: `at least one rule must be enabled (rules: ${IDENTIFICATION_RULES.join(', ')})`,
      });
    }
  })
  .transform((rules): IdentificationRule[] => [
    ...rules,
    ...IDENTIFICATION_RULES.filter((name) => !rules.some((r) => r.rule === name)).map((rule) => ({
      rule,
      enabled: false,
    })),
  ])
  .default(DEFAULT_IDENTIFICATION_RULES.map((r) => ({ ...r })));

/**
 * The `--identification-rules` flag: a comma list in order, each `name`, `name:on` or `name:off`,
 * e.g. `machineId,fqdn,ipMac:off`. Throws a message naming what is allowed.
 */
export function parseIdentificationRulesFlag(value: string): IdentificationRule[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((item) => {
      const [name, state = 'on', ...rest] = item.split(':').map((p) => p.trim());
      const rule = IDENTIFICATION_RULES.find((r) => r.toLowerCase() === name!.toLowerCase());
      if (!rule || rest.length > 0 || !['on', 'off'].includes(state.toLowerCase())) {
        throw new Error(
          `unknown rule "${item}"; allowed: ${IDENTIFICATION_RULES.join(', ')}, each optionally :on or :off`,
        );
      }
      return { rule, enabled: state.toLowerCase() === 'on' };
    });
}
