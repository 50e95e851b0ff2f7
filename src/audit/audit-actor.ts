import { userInfo } from 'node:os';

/** Where an actor acted from: the command line (an OS user), the REST API (an API user), or the product itself. */
export const ACTOR_KINDS = ['cli', 'api', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who did something: recorded with every audit entry and every machine action (docs/audit-log.md). */
export interface AuditActor {
  kind: ActorKind;
  /** The OS user name for `cli`, the API user name for `api`. */
  name: string;
}

/**
 * The person running the command line: the OS account the process runs as. The environment is only a
 * fallback for systems where the account has no name (a container's numeric uid), never an override.
 */
export function cliActor(env: NodeJS.ProcessEnv = process.env): AuditActor {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = undefined;
  }
  return { kind: 'cli', name: name || env.USER || env.USERNAME || `uid ${process.getuid?.() ?? 'unknown'}` };
}
