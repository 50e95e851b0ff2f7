/** One item of `GET /api/machines/{id}/logonusers` (docs/mde-api.md#other-machine-endpoints). */
import * as z from 'zod';
import { flag, identity, text, timestamp } from './fields.js';

/** A user who logged on to a machine. Required: `id` (e.g. `contoso\user1`). */
export const LogonUserSchema = z.looseObject({
  id: identity(),
  accountName: text(),
  accountDomain: text(),
  firstSeen: timestamp(),
  lastSeen: timestamp(),
  /** e.g. `Interactive`. */
  logonTypes: text(),
  isDomainAdmin: flag(),
  isOnlyNetworkUser: flag(),
});

/** A parsed logon user. */
export type LogonUser = z.output<typeof LogonUserSchema>;
/** A logon user as MDE sends it. */
export type LogonUserInput = z.input<typeof LogonUserSchema>;
