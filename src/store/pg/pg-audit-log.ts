import { and, desc, eq, lt } from 'drizzle-orm'
import type { PgExecutor } from './executor.js'
import { recordChangesQuery } from './pg-event-store.js'
import { auditEvents } from './schema.js'
import { pruneTeamLog, type TeamLog } from './team-log-prune.js'
import type { ChangeEventInput } from '../../events/change-event.js'
import type { AuditLog } from '../audit-log.js'
import type { AuditEvent, AuditEventInput } from '../records.js'

/**
 * The audit log as pruning sees it. Its lock key is fixed for good, like the migrations' lock, since
 * processes of different versions must exclude each other (ASCII "scimprun").
 */
export const AUDIT_LOG: TeamLog = {
  table: auditEvents,
  teamId: auditEvents.teamId,
  id: auditEvents.id,
  at: auditEvents.at,
  lockKey: '8314605255814968686',
}

/** The audit log (and the change events recorded with a write's entry), in PostgreSQL or PGlite. */
export class PgAuditLog implements AuditLog {
  constructor(private readonly executor: PgExecutor) {}

  async appendEvent(teamId: string, event: AuditEventInput): Promise<void> {
    await this.executor.db.insert(auditEvents).values({
      teamId,
      source: event.source,
      action: event.action,
      outcome: event.outcome,
      endpointId: event.endpointId ?? null,
      actorId: event.actorId ?? null,
      resourceId: event.resourceId ?? null,
      accountId: event.accountId ?? null,
      detail: event.detail ?? null,
    })
  }

  async recordChanges(teamId: string, audit: AuditEventInput, changes: readonly ChangeEventInput[]): Promise<void> {
    if (changes.length === 0) return this.appendEvent(teamId, audit)
    await this.executor.db.execute(recordChangesQuery(teamId, audit, changes))
    this.executor.changesRecorded()
  }

  async listEvents(teamId: string, page: { limit: number; beforeId?: number | undefined }): Promise<AuditEvent[]> {
    const rows = await this.executor.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.teamId, teamId), page.beforeId === undefined ? undefined : lt(auditEvents.id, page.beforeId)))
      .orderBy(desc(auditEvents.id))
      .limit(page.limit)
    return rows.map(({ teamId: _team, ...event }) => event)
  }

  /**
   * audit_events has no index on `at` (every index of team data leads with team_id, and one more
   * index would cost every audited write). Its primary key (team_id, id) serves instead: ids come from
   * one identity sequence, so a team's events in id order are in time order (up to the few seconds a
   * transaction can run between its now() and its insert). Each statement reads a team's first
   * `batchSize` events along the key and deletes those older than the cutoff; fewer deleted than read
   * means the team's old events are gone. A straggler behind a newer event waits for the next run.
   * The teams to visit are those whose first event is old: one key probe per team.
   */
  pruneAuditEvents(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number> {
    return pruneTeamLog(this.executor.db, AUDIT_LOG, olderThan, batchSize, signal)
  }
}
