import type { ActionKind, ActionRequest } from '../mde/actions/machine-actions.js';
import { ActionInputError } from './action-errors.js';

/** The `--type` values of each action and the MDE scope each stands for (docs/actions.md#commands). */
export const ACTION_TYPES = {
  scan: { default: 'quick', values: { quick: 'Quick', full: 'Full' } },
  isolate: { default: 'full', values: { full: 'Full', selective: 'Selective' } },
  unisolate: { default: undefined, values: {} },
} as const satisfies Record<
  ActionKind,
  { default: string | undefined; values: Record<string, 'Quick' | 'Full' | 'Selective'> }
>;

/** Longest comment accepted; MDE shows it in the action center. */
export const MAX_COMMENT_LENGTH = 1000;

/**
 * Checks the type and comment of a request and builds MDE's request from them.
 *
 * @throws ActionInputError naming the field and what it allows.
 */
export function buildActionRequest(
  kind: ActionKind,
  type: string | undefined,
  comment: string,
): ActionRequest {
  const trimmed = comment.trim();
  if (!trimmed)
    throw new ActionInputError('comment', 'a comment is required: MDE records why the action was taken');
  if (trimmed.length > MAX_COMMENT_LENGTH)
    throw new ActionInputError('comment', `the comment is longer than ${MAX_COMMENT_LENGTH} characters`);
  const spec = ACTION_TYPES[kind];
  const allowed = Object.keys(spec.values);
  if (allowed.length === 0) {
    if (type !== undefined) throw new ActionInputError('type', `${kind} takes no type (got "${type}")`);
    return { type: kind, comment: trimmed };
  }
  const chosen = (type ?? spec.default)?.toLowerCase() ?? '';
  const scope = (spec.values as Record<string, 'Quick' | 'Full' | 'Selective'>)[chosen];
  if (!scope)
    throw new ActionInputError('type', `the type of ${kind} must be ${allowed.join(' or ')} (got "${type}")`);
  return kind === 'scan'
    ? { type: kind, comment: trimmed, scanType: scope as 'Quick' | 'Full' }
    : { type: kind, comment: trimmed, isolationType: scope as 'Full' | 'Selective' };
}
