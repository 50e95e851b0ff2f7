/**
 * Why a machine action was not sent or not carried out (docs/actions.md#exit-codes-and-errors). The
 * CLI maps `action-input` and `action-refused` to exit 2 (bad input), `action-failed` to exit 1; the
 * REST API maps them to 400, 409/422 and 502.
 */

/** A bad request: an unknown type for the action, an empty comment. */
export class ActionInputError extends Error {
  readonly code = 'action-input' as const;

  constructor(
    /** The request field at fault: `type`, `comment`, `target`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why the connector refused to send an action, before asking MDE. */
export const REFUSAL_REASONS = [
  'unknown-device',
  'no-defender-source',
  'not-onboarded',
  'actions-disabled',
  'ambiguous',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The device or connector cannot take an action: nothing was sent to MDE. */
export class ActionRefusedError extends Error {
  readonly code = 'action-refused' as const;

  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * MDE refused the action (a missing permission, an unsupported platform, a conflicting pending action),
 * the request did not get through, or the action ended other than Succeeded. `actionId` is the stored
 * request when there is one.
 */
export class ActionFailedError extends Error {
  readonly code = 'action-failed' as const;

  constructor(
    message: string,
    readonly actionId?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
