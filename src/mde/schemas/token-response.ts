/** The Entra ID client-credentials token response (docs/mde-api.md#sign-in). */
import * as z from 'zod';
import { identity, numeric, text } from './fields.js';

/**
 * A token response (v2 or v1 endpoint). Required: `access_token`. `expires_in` is a number from v2 and
 * a numeric string from v1, so it is lenient like every other number; `expires_on` (v1) is epoch seconds.
 */
export const TokenResponseSchema = z.looseObject({
  token_type: text(),
  expires_in: numeric(),
  ext_expires_in: numeric(),
  expires_on: numeric(),
  not_before: numeric(),
  resource: text(),
  scope: text(),
  access_token: identity(),
});

/** A parsed token response. */
export type TokenResponse = z.output<typeof TokenResponseSchema>;
/** A token response as Entra ID sends it. */
export type TokenResponseInput = z.input<typeof TokenResponseSchema>;
