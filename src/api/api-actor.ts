import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '../audit/audit-actor.js';

/** The signed-in API user as the audit log and machine actions record them (docs/audit-log.md). */
export function apiActor(request: FastifyRequest): AuditActor {
  return { kind: 'api', name: request.principal?.name ?? 'anonymous' };
}
